-- feature: Window functions
-- area: Queries
CREATE TABLE sales (region text, month int, amount numeric);
INSERT INTO sales VALUES ('east', 1, 100), ('east', 2, 150), ('east', 3, 90), ('west', 1, 200), ('west', 2, 200), ('west', 3, 50);
SELECT region, month, amount, sum(amount) OVER (PARTITION BY region ORDER BY month) AS running FROM sales ORDER BY region, month;
SELECT region, month, rank() OVER w, dense_rank() OVER w, row_number() OVER w FROM sales WINDOW w AS (PARTITION BY region ORDER BY amount DESC) ORDER BY region, month;
SELECT region, month, lag(amount) OVER (PARTITION BY region ORDER BY month), lead(amount, 1, 0) OVER (PARTITION BY region ORDER BY month) FROM sales ORDER BY 1, 2;
SELECT region, month, avg(amount) OVER (ORDER BY region, month ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM sales ORDER BY 1, 2;
SELECT region, first_value(month) OVER (PARTITION BY region ORDER BY amount), ntile(2) OVER (ORDER BY region, month) FROM sales ORDER BY region, month;
SELECT region, percent_rank() OVER (ORDER BY amount), cume_dist() OVER (ORDER BY amount) FROM sales ORDER BY region, month;
SELECT month, amount FROM (SELECT *, row_number() OVER (PARTITION BY region ORDER BY amount DESC) AS rn FROM sales) s WHERE rn = 1 ORDER BY month;
SELECT rank() OVER (ORDER BY month) FROM sales WHERE rank() OVER (ORDER BY month) > 1;

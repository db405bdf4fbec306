-- feature: UPDATE … FROM and DELETE … USING
-- area: DML
CREATE TABLE stock (sku text PRIMARY KEY, qty int, warehouse text);
CREATE TABLE moves (sku text, delta int);
INSERT INTO stock VALUES ('a', 10, 'north'), ('b', 0, 'south'), ('c', 5, 'north');
INSERT INTO moves VALUES ('a', -3), ('c', 2), ('z', 1);
UPDATE stock s SET qty = s.qty + m.delta FROM moves m WHERE m.sku = s.sku;
DELETE FROM stock WHERE qty = 0;
DELETE FROM stock s USING moves m WHERE m.sku = s.sku AND m.delta > 0 RETURNING s.sku;
UPDATE stock SET qty = qty * 2;
UPDATE stock SET qty = 1 WHERE false;
SELECT * FROM stock;

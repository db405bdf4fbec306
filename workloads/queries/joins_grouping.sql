-- feature: Joins, set operations, grouping
-- area: Queries
CREATE TABLE a (id int, v text);
CREATE TABLE b (id int, w text);
INSERT INTO a VALUES (1, 'a1'), (2, 'a2'), (3, 'a3');
INSERT INTO b VALUES (2, 'b2'), (3, 'b3'), (4, 'b4');
SELECT a.id, v, w FROM a JOIN b USING (id);
SELECT a.id, b.id, v, w FROM a LEFT JOIN b ON a.id = b.id;
SELECT a.id, b.id FROM a FULL JOIN b ON a.id = b.id;
SELECT count(*) FROM a CROSS JOIN b;
SELECT a.id FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.id = a.id);
SELECT id FROM a UNION SELECT id FROM b;
SELECT id FROM a INTERSECT SELECT id FROM b;
SELECT id FROM a EXCEPT ALL SELECT id FROM b;
SELECT id % 2 AS parity, count(*), string_agg(v, ',' ORDER BY v) FROM a GROUP BY 1 HAVING count(*) > 0;
SELECT v, w, count(*) FROM a, b GROUP BY GROUPING SETS ((v), (w), ()) ORDER BY v NULLS LAST, w NULLS LAST;
SELECT id FROM a ORDER BY id DESC LIMIT 2 OFFSET 1;
SELECT id FROM a ORDER BY id FETCH FIRST 1 ROWS WITH TIES;
SELECT a.id, l.w FROM a, LATERAL (SELECT w FROM b WHERE b.id >= a.id ORDER BY b.id LIMIT 1) l;
SELECT id FROM a GROUP BY v;

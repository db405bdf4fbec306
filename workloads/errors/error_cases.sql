-- feature: Common error cases and their SQLSTATEs
-- area: Errors
SELEC 1;
SELECT * FROM no_such_table;
SELECT no_such_column FROM (SELECT 1 AS a) s;
SELECT 1/0;
SELECT 1 + 'a';
SELECT nosuchfunction(1);
SELECT lower(1, 2);
CREATE TABLE dup_t (a int);
CREATE TABLE dup_t (a int);
SELECT 'x'::int;
SELECT (SELECT generate_series(1, 2));
SELECT ARRAY[1, 2][3:1];
SELECT repeat('x', -1);
SELECT 10::int / 0.0;
SELECT sqrt(-1);
SELECT 'a' FROM dup_t GROUP BY 1 HAVING a > 0;
SELECT $1;
SELECT * FROM dup_t WHERE a = ANY ('{1,2}'::text[]);

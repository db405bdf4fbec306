-- feature: Set-returning functions
-- area: Functions
SELECT generate_series(1, 3);
SELECT * FROM generate_series(1, 10, 4) AS g(n);
SELECT generate_series('2024-01-01'::date, '2024-01-03'::date, '1 day'::interval);
SELECT * FROM generate_subscripts(ARRAY['a', 'b'], 1);
SELECT n, x FROM generate_series(1, 2) n, LATERAL unnest(ARRAY[n, n * 10]) x;
SELECT * FROM ROWS FROM (generate_series(1, 2), unnest(ARRAY['a', 'b', 'c'])) AS t(n, s);
SELECT * FROM json_to_record('{"a": 1, "b": "x"}') AS r(a int, b text);
SELECT * FROM regexp_split_to_table('a,b;c', '[,;]');
SELECT * FROM generate_series(1, 3) WITH ORDINALITY AS t(v, ord);

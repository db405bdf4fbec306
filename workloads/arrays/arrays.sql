-- feature: Arrays
-- area: Arrays
SELECT ARRAY[1, 2, 3], ARRAY['a', NULL, 'c'], '{1,2,3}'::int[], ARRAY[[1, 2], [3, 4]];
SELECT (ARRAY[10, 20, 30])[2], (ARRAY[10, 20, 30])[2:3], (ARRAY[10, 20, 30])[5];
SELECT array_length(ARRAY[1, 2, 3], 1), cardinality(ARRAY[[1, 2], [3, 4]]), array_dims(ARRAY[[1, 2], [3, 4]]);
SELECT array_append(ARRAY[1, 2], 3), array_prepend(0, ARRAY[1]), ARRAY[1, 2] || ARRAY[3], array_remove(ARRAY[1, 2, 1], 1);
SELECT 2 = ANY(ARRAY[1, 2, 3]), 5 > ALL(ARRAY[1, 2, 3]), ARRAY[1, 2] @> ARRAY[2], ARRAY[1, 2] && ARRAY[3];
SELECT unnest(ARRAY['x', 'y', 'z']) AS letter;
SELECT * FROM unnest(ARRAY[1, 2], ARRAY['a', 'b', 'c']) AS t(n, s);
SELECT array_agg(x ORDER BY x DESC) FROM generate_series(1, 4) x;
SELECT ARRAY[1, 2] = ARRAY[1, 2], ARRAY[1, 2] < ARRAY[1, 3], array_position(ARRAY['a', 'b'], 'b');
SELECT '{{1,2},{3}}'::int[];
SELECT ARRAY['a b', 'c"d', '', NULL]::text[];

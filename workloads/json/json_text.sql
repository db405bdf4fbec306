-- feature: json (text) functions
-- area: JSON
SELECT '{"b": 1, "a": 2,  "a": 3}'::json;
SELECT json_build_object('x', 1, 'y', ARRAY[1, 2]), json_build_array(1, 'two', NULL);
SELECT row_to_json(r) FROM (SELECT 1 AS id, 'x' AS name) r;
SELECT json_agg(t ORDER BY t.n) FROM (VALUES (2, 'b'), (1, 'a')) t(n, s);
SELECT '{"a": [1, 2]}'::json -> 'a' ->> 1, '{"a": 1}'::json #> '{a}';
SELECT to_json('text with "quotes"'::text), to_json(now() IS NOT NULL);
SELECT json_typeof('null'), json_array_length('[1,2,3]');

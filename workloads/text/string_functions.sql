-- feature: String functions and operators
-- area: Text
SELECT 'a' || 'b' || 'c', 'x' || 1, concat_ws('-', 'a', 'b', NULL, 'c');
SELECT position('lo' IN 'hello'), strpos('hello', 'l'), replace('banana', 'an', 'AN');
SELECT split_part('a,b,c', ',', 2), string_to_array('a,b,,c', ','), array_to_string(ARRAY['x', NULL, 'z'], '|', '*');
SELECT trim('  pad  '), ltrim('xxabc', 'x'), rpad('7', 3, '0'), lpad('7', 3, '0');
SELECT regexp_replace('2024-05-17', '(\d+)-(\d+)-(\d+)', '\3/\2/\1'), regexp_match('abc123', '[0-9]+');
SELECT 'abc' LIKE 'a%', 'ABC' ILIKE 'a_c', 'abc' SIMILAR TO '(a|b)%', 'a_c' LIKE 'a\_c';
SELECT format('%s is %L, %I', 'x', 'it''s', 'My Col'), quote_ident('select'), quote_literal(NULL);
SELECT reverse('stressed'), repeat('ab', 3), chr(65), ascii('A'), translate('abc', 'ab', 'xy');
SELECT string_agg(x, ', ' ORDER BY x) FROM (VALUES ('b'), ('a'), ('c')) v(x);
SELECT 'abc' < 'abd', 'Z' < 'a', 'a' COLLATE "C" < 'B' COLLATE "C";

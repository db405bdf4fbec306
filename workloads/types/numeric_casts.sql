-- feature: Numeric types and casts
-- area: Types
SELECT 1::int2, 2::int4, 3::int8, 4.5::numeric, 4.5::real, 4.5::float8;
SELECT 7 / 2, 7 % 3, 7.0 / 2, -7 / 2, 2 ^ 10;
SELECT '12'::int + 1, '1e3'::float8, '0.1'::numeric(5,3);
SELECT 32767::int2 + 1::int2;
SELECT 'abc'::int;
SELECT 1::numeric / 3, round(2.5), round(-2.5), round(2.5::float8), trunc(9.99);
SELECT 0.1::float8 + 0.2::float8, 1e308::float8 * 10;
SELECT 'NaN'::float8, '-Infinity'::float8, 'NaN'::numeric;
SELECT 123.456::numeric(5,1), 99999.5::numeric(5,0);
SELECT 9223372036854775807::int8 + 1;
SELECT cast(3.7 AS int), 3.7::int, (-3.7)::int;

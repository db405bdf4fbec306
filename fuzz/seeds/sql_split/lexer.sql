-- comments; quotes; psql's rules
SELECT 'it''s;', E'\'; still', U&'\0061', $$ ; $$, $tag$ $$ ; $tag$, "a;""b";
/* outer /* nested; */ still */ SELECT 1;
CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;
SET standard_conforming_strings = off;
SELECT 'a\';';
RESET standard_conforming_strings;
\set x 1
SELECT :x, :'x', :"x"
\gset
COPY t FROM stdin;
1	a
\.
COPY t FROM stdin;
SELECT 123abc, 1e'x', a$b$;

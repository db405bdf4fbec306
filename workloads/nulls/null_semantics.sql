-- feature: NULL semantics
-- area: NULLs
SELECT NULL = NULL, NULL IS NULL, NULL IS DISTINCT FROM NULL, 1 IS DISTINCT FROM NULL;
SELECT NULL AND false, NULL OR true, NOT NULL::boolean;
SELECT coalesce(NULL, NULL, 'c'), nullif(1, 1), nullif(1, 2), greatest(1, NULL, 3), least(NULL::int);
SELECT count(*), count(x), sum(x), avg(x), max(x) FROM (VALUES (1), (NULL), (3)) v(x);
SELECT sum(x), count(x) FROM (VALUES (NULL::int)) v(x);
SELECT x FROM (VALUES (2), (NULL), (1)) v(x) ORDER BY x;
SELECT x FROM (VALUES (2), (NULL), (1)) v(x) ORDER BY x DESC NULLS LAST;
SELECT 1 WHERE NULL NOT IN (1, 2);
SELECT 1 WHERE 3 NOT IN (1, NULL);
SELECT 'a' || NULL, concat('a', NULL, 'b'), length(NULL::text);
SELECT DISTINCT x FROM (VALUES (NULL::int), (NULL), (1)) v(x);

-- feature: Transactional DDL
-- area: Transactions
BEGIN;
CREATE TABLE t_ddl (a int);
INSERT INTO t_ddl VALUES (1);
ROLLBACK;
SELECT * FROM t_ddl;
BEGIN;
CREATE TABLE t_ddl (a int);
COMMIT;
BEGIN;
DROP TABLE t_ddl;
ROLLBACK;
SELECT count(*) FROM t_ddl;
BEGIN;
CREATE DATABASE pgparity_should_not_exist;
ROLLBACK;
BEGIN READ ONLY;
INSERT INTO t_ddl VALUES (2);
ROLLBACK;
VACUUM t_ddl;
BEGIN;
VACUUM t_ddl;
END;

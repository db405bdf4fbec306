-- feature: Repro of orm/psql/conn-0001 step 23
-- area: Repros
-- mismatch: column types: reference SELECT (attstattarget integer), candidate SELECT (attstattarget smallint)
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local) → SELECT 0 (0 rows)
-- candidate: 18.6 (exec:candidates/pglite.sh {port}) → SELECT 0 (0 rows)
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 23 to 1 statements in 35 trials (1-minimal)
-- occurs at: workloads/orm/psql/conn-0001.yaml:193:7 (orm/psql/conn-0001 step 23)
-- replay: psql -X -f repros/orm-psql-conn-0001-step23.sql   or   pgparity run --candidate TARGET repros/orm-psql-conn-0001-step23.sql
SELECT a.attstattarget AS attstattarget FROM pg_catalog.pg_attribute a WHERE a.attrelid = '2';

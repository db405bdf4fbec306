-- feature: Repro of orm/sqlalchemy/conn-0001 step 2
-- area: Repros
-- mismatch: rows: reference SELECT, candidate SELECT
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local) → SELECT 1 (1 row)
-- candidate: 18.6 (exec:candidates/pglite.sh {port}) → SELECT 1 (1 row)
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 2 to 1 statements in 2 trials (1-minimal)
-- occurs at: workloads/orm/sqlalchemy/conn-0001.yaml:8:7 (orm/sqlalchemy/conn-0001 step 2)
-- replay: psql -X -f repros/orm-sqlalchemy-conn-0001-step2.sql   or   pgparity run --candidate TARGET repros/orm-sqlalchemy-conn-0001-step2.sql
select pg_catalog.version();

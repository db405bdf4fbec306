-- feature: Repro of orm/knex/conn-0001 step 1
-- area: Repros
-- mismatch: rows: reference SELECT, candidate SELECT
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local) → SELECT 1 (1 row)
-- candidate: 18.6 (exec:candidates/pglite.sh {port}) → SELECT 1 (1 row)
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 1 to 1 statements in 2 trials (1-minimal)
-- occurs at: workloads/orm/knex/conn-0001.yaml:6:7 (orm/knex/conn-0001 step 1)
-- replay: psql -X -f repros/orm-knex-conn-0001-step1.sql   or   pgparity run --candidate TARGET repros/orm-knex-conn-0001-step1.sql
select version();

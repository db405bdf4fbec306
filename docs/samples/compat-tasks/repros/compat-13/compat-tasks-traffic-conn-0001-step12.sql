-- feature: Repro of compat/tasks/traffic/conn-0001 step 12
-- area: Repros
-- mismatch: error vs success: reference SELECT, candidate error 42P01
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local, migrated to 12) → SELECT 0 (0 rows)
-- candidate: 15.18 (Debian 15.18-0+deb12u1) (local, migrated to 13) → ERROR 42P01: relation "comments" does not exist
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 12 to 1 statements in 9 trials (1-minimal)
-- occurs at: workloads/compat/tasks/traffic/conn-0001.yaml:48:7 (compat/tasks/traffic/conn-0001 step 12)
-- replay: pgparity compat --migrations workloads/compat/tasks/migrations/postgres --from 12 --to 13 --target local repros/compat-13/compat-tasks-traffic-conn-0001-step12.sql
SELECT m.body FROM comments m;

-- feature: Repro of compat/tasks/traffic/conn-0001 step 18
-- area: Repros
-- mismatch: error vs success: reference SELECT, candidate error 42703
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local, migrated to 11) → SELECT 0 (0 rows)
-- candidate: 15.18 (Debian 15.18-0+deb12u1) (local, migrated to 12) → ERROR 42703: column "status" does not exist
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 18 to 1 statements in 6 trials (1-minimal)
-- occurs at: workloads/compat/tasks/traffic/conn-0001.yaml:66:7 (compat/tasks/traffic/conn-0001 step 18)
-- replay: pgparity compat --migrations workloads/compat/tasks/migrations/postgres --from 11 --to 12 --target local repros/compat-12/compat-tasks-traffic-conn-0001-step18.sql
SELECT status FROM tasks;

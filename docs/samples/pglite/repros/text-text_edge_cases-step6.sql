-- feature: Repro of text/text_edge_cases step 6
-- area: Repros
-- mismatch: rows: reference SELECT, candidate SELECT
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local) → SELECT 1 (1 row)
-- candidate: 18.6 (exec:candidates/pglite.sh {port}) → SELECT 1 (1 row)
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 10 to 1 statements in 10 trials (1-minimal)
-- occurs at: workloads/text/text_edge_cases.yaml:15:10 (text/text_edge_cases step 6)
-- replay: psql -X -f repros/text-text_edge_cases-step6.sql   or   pgparity run --candidate TARGET repros/text-text_edge_cases-step6.sql
SELECT lower('À');

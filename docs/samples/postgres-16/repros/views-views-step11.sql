-- feature: Repro of views/views step 11
-- area: Repros
-- mismatch: rows: reference SELECT, candidate SELECT
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local) → SELECT 1 (1 row)
-- candidate: 16.2 (local:/var/cache/pgparity/pgserver-0.1.4/venv/lib/python3.11/site-packages/pgserver/pginstall/bin) → SELECT 1 (1 row)
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 13 to 3 statements in 50 trials (1-minimal)
-- occurs at: workloads/views/views.yaml:17:10 (views/views step 11)
-- replay: psql -X -f repros/views-views-step11.sql   or   pgparity run --candidate TARGET repros/views-views-step11.sql
CREATE TABLE orders (customer text, total numeric);
CREATE VIEW per_customer AS SELECT customer, sum(total) AS spent FROM orders GROUP BY customer;
SELECT pg_get_viewdef('per_customer');

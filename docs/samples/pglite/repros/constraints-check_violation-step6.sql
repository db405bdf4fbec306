-- feature: Repro of constraints/check_violation step 6
-- area: Repros
-- mismatch: command tag, rows: reference SELECT, candidate SELECT
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local) → SELECT 3 (3 rows)
-- candidate: 18.6 (exec:candidates/pglite.sh {port}) → SELECT 4 (4 rows)
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 7 to 2 statements in 5 trials (1-minimal)
-- occurs at: workloads/constraints/check_violation.yaml:16:10 (constraints/check_violation step 6)
-- replay: psql -X -f repros/constraints-check_violation-step6.sql   or   pgparity run --candidate TARGET repros/constraints-check_violation-step6.sql
CREATE TABLE products (
  id int PRIMARY KEY,
  price numeric CHECK (price > 0),
  discount numeric,
  CONSTRAINT discount_below_price CHECK (discount < price)
);
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'products'::regclass ORDER BY conname;

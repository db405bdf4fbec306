#!/usr/bin/env bash
# psql's meta-commands (psql -E shows the catalog queries they send) on a small schema.
#   psql_meta.sh PORT
set -euo pipefail
port="$1"
psql=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1); psql=${psql:-$(command -v psql)}
"$psql" -X -E -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers (id),
  total numeric(10, 2) CHECK (total >= 0),
  placed_on date
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
CREATE FUNCTION order_count(c int) RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM orders WHERE customer_id = c $$;
CREATE SCHEMA reporting;
\d
\dt
\d customers
\d+ orders
\df order_count
\dn
\du
\di
\dv
SQL

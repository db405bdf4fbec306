-- pgparity migrate repro: check budgets first appears at version 10
-- reference: local (PostgreSQL)
-- replay: psql -X -f reference.sql (in a fresh database)

-- version 4: workloads/migrations/gateway/postgres/0004_api_keys.sql
CREATE TABLE api_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_hash bytea NOT NULL UNIQUE,
    owner text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- version 6: workloads/migrations/gateway/postgres/0006_budgets.sql
CREATE TABLE budgets (
    api_key_id bigint PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    monthly_limit_cents bigint NOT NULL,
    spent_cents bigint NOT NULL DEFAULT 0
);

-- version 10: workloads/migrations/gateway/postgres/0010_budget_limit_positive.sql
ALTER TABLE budgets ADD CONSTRAINT budgets_limit_positive CHECK (monthly_limit_cents > 0);

-- what shows it:
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'budgets'::regclass ORDER BY conname;

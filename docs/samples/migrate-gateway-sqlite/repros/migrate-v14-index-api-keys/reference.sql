-- pgparity migrate repro: index api_keys first appears at version 14
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

-- version 14: workloads/migrations/gateway/postgres/0014_active_keys_index.sql
CREATE INDEX api_keys_active ON api_keys (owner) WHERE revoked_at IS NULL;

-- what shows it:
SELECT indexdef FROM pg_indexes WHERE tablename = 'api_keys' ORDER BY indexname;

-- pgparity migrate repro: nullability request_log.tokens first appears at version 8
-- reference: local (PostgreSQL)
-- replay: psql -X -f reference.sql (in a fresh database)

-- version 1: workloads/migrations/gateway/postgres/0001_providers.sql
CREATE TABLE providers (
    id text PRIMARY KEY,
    base_url text NOT NULL,
    enabled boolean NOT NULL DEFAULT true
);

-- version 2: workloads/migrations/gateway/postgres/0002_models.sql
CREATE TABLE models (
    id text PRIMARY KEY,
    provider_id text NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    context_window integer NOT NULL CHECK (context_window > 0)
);

-- version 3: workloads/migrations/gateway/postgres/0003_routes.sql
CREATE TABLE routes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name varchar(64) NOT NULL UNIQUE,
    model_id text NOT NULL REFERENCES models (id)
);

-- version 4: workloads/migrations/gateway/postgres/0004_api_keys.sql
CREATE TABLE api_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_hash bytea NOT NULL UNIQUE,
    owner text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- version 7: workloads/migrations/gateway/postgres/0007_request_log.sql
CREATE TABLE request_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_key_id bigint NOT NULL REFERENCES api_keys (id),
    route_id bigint REFERENCES routes (id) ON DELETE SET NULL,
    status_code integer NOT NULL,
    latency_ms integer,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- version 8: workloads/migrations/gateway/postgres/0008_request_log_tokens.sql
ALTER TABLE request_log ADD COLUMN tokens integer NOT NULL DEFAULT 0;

-- what shows it:
SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'request_log' ORDER BY ordinal_position;

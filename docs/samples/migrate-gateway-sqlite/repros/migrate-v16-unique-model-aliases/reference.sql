-- pgparity migrate repro: unique model_aliases first appears at version 16
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

-- version 16: workloads/migrations/gateway/postgres/0016_model_aliases.sql
CREATE TABLE model_aliases (
    alias text NOT NULL,
    model_id text NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    UNIQUE (alias)
);

-- what shows it:
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'model_aliases'::regclass ORDER BY conname;

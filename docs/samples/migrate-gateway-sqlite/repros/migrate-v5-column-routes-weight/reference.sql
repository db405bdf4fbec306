-- pgparity migrate repro: column routes.weight first appears at version 5
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

-- version 5: workloads/migrations/gateway/postgres/0005_route_weight.sql
ALTER TABLE routes ADD COLUMN weight integer NOT NULL DEFAULT 100;

-- what shows it:
SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'routes' ORDER BY ordinal_position;

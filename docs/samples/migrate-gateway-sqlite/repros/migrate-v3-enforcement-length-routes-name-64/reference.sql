-- pgparity migrate repro: enforcement length routes.name ≤ 64 first appears at version 3
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

-- what shows it:
-- the reference's result: rejected (22001)
-- the candidate's result: accepted
INSERT INTO routes (name, model_id) VALUES ('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', (SELECT max(id) FROM models));

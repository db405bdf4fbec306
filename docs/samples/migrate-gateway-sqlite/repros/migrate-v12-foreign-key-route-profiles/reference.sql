-- pgparity migrate repro: foreign key route_profiles first appears at version 12
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

-- version 11: workloads/migrations/gateway/postgres/0011_compatibility_profiles.sql
CREATE TABLE compatibility_profiles (
    id text PRIMARY KEY,
    description text NOT NULL DEFAULT ''
);

-- version 12: workloads/migrations/gateway/postgres/0012_route_compatibility_profiles.sql
CREATE TABLE route_profiles (
    route_id bigint NOT NULL REFERENCES routes (id) ON DELETE CASCADE,
    profile_id text NOT NULL REFERENCES compatibility_profiles (id) ON DELETE CASCADE,
    PRIMARY KEY (route_id, profile_id)
);

-- what shows it:
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'route_profiles'::regclass ORDER BY conname;

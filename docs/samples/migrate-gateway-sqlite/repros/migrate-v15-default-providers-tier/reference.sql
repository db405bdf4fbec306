-- pgparity migrate repro: default providers.tier first appears at version 15
-- reference: local (PostgreSQL)
-- replay: psql -X -f reference.sql (in a fresh database)

-- version 1: workloads/migrations/gateway/postgres/0001_providers.sql
CREATE TABLE providers (
    id text PRIMARY KEY,
    base_url text NOT NULL,
    enabled boolean NOT NULL DEFAULT true
);

-- version 15: workloads/migrations/gateway/postgres/0015_provider_tier.sql
ALTER TABLE providers ADD COLUMN tier varchar(16) NOT NULL DEFAULT 'standard';

-- what shows it:
SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'providers' ORDER BY ordinal_position;

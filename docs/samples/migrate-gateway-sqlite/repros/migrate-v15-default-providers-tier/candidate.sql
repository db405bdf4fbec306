-- pgparity migrate repro: default providers.tier first appears at version 15
-- candidate: sqlite?foreign_keys=on (SQLite)
-- replay: sqlite3 fresh.db < candidate.sql

-- version 1: workloads/migrations/gateway/sqlite/0001_providers.sql
CREATE TABLE providers (
    id TEXT NOT NULL PRIMARY KEY,
    base_url TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
);

-- version 15: workloads/migrations/gateway/sqlite/0015_provider_tier.sql
ALTER TABLE providers ADD COLUMN tier TEXT NOT NULL DEFAULT 'basic' CHECK (length(tier) <= 16);

-- what shows it:
SELECT sql FROM sqlite_schema WHERE name = 'providers';
SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('providers');

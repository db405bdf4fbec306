-- pgparity migrate repro: enforcement ON DELETE CASCADE route_profiles (route_id) → routes first appears at version 12
-- candidate: sqlite?foreign_keys=on (SQLite)
-- replay: sqlite3 fresh.db < candidate.sql

-- version 1: workloads/migrations/gateway/sqlite/0001_providers.sql
CREATE TABLE providers (
    id TEXT NOT NULL PRIMARY KEY,
    base_url TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
);

-- version 2: workloads/migrations/gateway/sqlite/0002_models.sql
CREATE TABLE models (
    id TEXT NOT NULL PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    context_window INTEGER NOT NULL CHECK (context_window > 0)
);

-- version 3: workloads/migrations/gateway/sqlite/0003_routes.sql
CREATE TABLE routes (
    id INTEGER PRIMARY KEY,
    name VARCHAR(64) NOT NULL UNIQUE,
    model_id TEXT NOT NULL REFERENCES models (id)
);

-- version 11: workloads/migrations/gateway/sqlite/0011_compatibility_profiles.sql
CREATE TABLE compatibility_profiles (
    id TEXT NOT NULL PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
);

-- version 12: workloads/migrations/gateway/sqlite/0012_route_compatibility_profiles.sql
CREATE TABLE route_profiles (
    route_id INTEGER NOT NULL REFERENCES routes (id),
    profile_id TEXT NOT NULL REFERENCES compatibility_profiles (id) ON DELETE CASCADE,
    PRIMARY KEY (route_id, profile_id)
);

-- what shows it:
-- the reference's result: 0 row(s) left
-- the candidate's result: rejected (23503)
DELETE FROM routes;

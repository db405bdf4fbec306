-- pgparity migrate repro: enforcement length routes.name ≤ 64 first appears at version 3
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

-- what shows it:
-- the reference's result: rejected (22001)
-- the candidate's result: accepted
INSERT INTO routes (name, model_id) VALUES ('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', (SELECT max(id) FROM models));

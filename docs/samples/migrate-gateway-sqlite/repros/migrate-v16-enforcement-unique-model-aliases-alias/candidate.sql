-- pgparity migrate repro: enforcement unique model_aliases (alias) first appears at version 16
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

-- version 16: workloads/migrations/gateway/sqlite/0016_model_aliases.sql
CREATE TABLE model_aliases (
    alias TEXT NOT NULL,
    model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE
);

-- what shows it:
-- the reference's result: rejected (23505)
-- the candidate's result: accepted
INSERT INTO model_aliases (alias, model_id) VALUES ('p1000', (SELECT max(id) FROM models));

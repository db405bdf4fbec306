-- pgparity migrate repro: default routes.streaming first appears at version 17
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

-- version 17: workloads/migrations/gateway/sqlite/0017_route_streaming.sql
ALTER TABLE routes ADD COLUMN streaming TEXT NOT NULL DEFAULT 'false';

-- what shows it:
SELECT sql FROM sqlite_schema WHERE name = 'routes';
SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('routes');

-- pgparity migrate repro: nullability request_log.tokens first appears at version 8
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

-- version 4: workloads/migrations/gateway/sqlite/0004_api_keys.sql
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    key_hash BLOB NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at TEXT
);

-- version 7: workloads/migrations/gateway/sqlite/0007_request_log.sql
CREATE TABLE request_log (
    id INTEGER PRIMARY KEY,
    api_key_id INTEGER NOT NULL REFERENCES api_keys (id),
    route_id INTEGER REFERENCES routes (id) ON DELETE SET NULL,
    status_code INTEGER NOT NULL,
    latency_ms INTEGER,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- version 8: workloads/migrations/gateway/sqlite/0008_request_log_tokens.sql
ALTER TABLE request_log ADD COLUMN tokens INTEGER DEFAULT 0;

-- what shows it:
SELECT sql FROM sqlite_schema WHERE name = 'request_log';
SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('request_log');

-- pgparity migrate repro: index api_keys first appears at version 14
-- candidate: sqlite?foreign_keys=on (SQLite)
-- replay: sqlite3 fresh.db < candidate.sql

-- version 4: workloads/migrations/gateway/sqlite/0004_api_keys.sql
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    key_hash BLOB NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at TEXT
);

-- version 14: workloads/migrations/gateway/sqlite/0014_active_keys_index.sql
CREATE INDEX api_keys_active ON api_keys (owner);

-- what shows it:
SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'api_keys';

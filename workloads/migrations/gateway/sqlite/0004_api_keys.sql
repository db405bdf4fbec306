CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    key_hash BLOB NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at TEXT
);

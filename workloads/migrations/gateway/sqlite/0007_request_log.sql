CREATE TABLE request_log (
    id INTEGER PRIMARY KEY,
    api_key_id INTEGER NOT NULL REFERENCES api_keys (id),
    route_id INTEGER REFERENCES routes (id) ON DELETE SET NULL,
    status_code INTEGER NOT NULL,
    latency_ms INTEGER,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

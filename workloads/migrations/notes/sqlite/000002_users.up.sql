CREATE TABLE users (id INTEGER PRIMARY KEY, handle TEXT NOT NULL UNIQUE CHECK (length(handle) <= 40), created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
INSERT INTO schema_migrations (version) VALUES (2);

CREATE TABLE note_versions (
    note_id INTEGER NOT NULL PRIMARY KEY REFERENCES notes (id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    body TEXT NOT NULL
);
INSERT INTO schema_migrations (version) VALUES (17);

CREATE TABLE note_versions (
    note_id bigint NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    revision integer NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (note_id, revision)
);
INSERT INTO schema_migrations (version) VALUES (17);

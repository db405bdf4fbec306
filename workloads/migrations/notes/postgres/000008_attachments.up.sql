CREATE TABLE attachments (
    id bigserial PRIMARY KEY,
    note_id bigint NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    filename text NOT NULL,
    content bytea NOT NULL,
    size_bytes integer NOT NULL CHECK (size_bytes >= 0)
);
INSERT INTO schema_migrations (version) VALUES (8);

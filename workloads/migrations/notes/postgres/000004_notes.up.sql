CREATE TABLE notes (
    id bigserial PRIMARY KEY,
    notebook_id bigint NOT NULL REFERENCES notebooks (id) ON DELETE CASCADE,
    title text,
    body text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO schema_migrations (version) VALUES (4);

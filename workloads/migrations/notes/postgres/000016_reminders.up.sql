CREATE TABLE reminders (id bigserial PRIMARY KEY, note_id bigint NOT NULL REFERENCES notes (id) ON DELETE CASCADE, due_at timestamptz NOT NULL);
INSERT INTO schema_migrations (version) VALUES (16);

CREATE INDEX notes_pinned ON notes (notebook_id) WHERE pinned;
INSERT INTO schema_migrations (version) VALUES (12);

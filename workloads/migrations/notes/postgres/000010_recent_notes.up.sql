CREATE VIEW recent_notes AS SELECT id, notebook_id, title FROM notes WHERE updated_at > now() - interval '7 days';
INSERT INTO schema_migrations (version) VALUES (10);

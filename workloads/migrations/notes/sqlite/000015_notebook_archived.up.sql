ALTER TABLE notebooks ADD COLUMN archived_at TEXT;
INSERT INTO schema_migrations (version) VALUES (15);

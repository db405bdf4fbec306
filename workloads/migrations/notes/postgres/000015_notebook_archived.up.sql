ALTER TABLE notebooks ADD COLUMN archived_at timestamptz;
INSERT INTO schema_migrations (version) VALUES (15);

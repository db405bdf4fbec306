ALTER TABLE tags ADD COLUMN uses integer NOT NULL DEFAULT 0;
INSERT INTO schema_migrations (version) VALUES (13);

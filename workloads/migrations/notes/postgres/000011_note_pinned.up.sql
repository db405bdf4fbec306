ALTER TABLE notes ADD COLUMN pinned boolean NOT NULL DEFAULT false;
INSERT INTO schema_migrations (version) VALUES (11);

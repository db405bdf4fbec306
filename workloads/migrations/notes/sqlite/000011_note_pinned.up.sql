ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1));
INSERT INTO schema_migrations (version) VALUES (11);

CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO schema_migrations (version) VALUES (1);

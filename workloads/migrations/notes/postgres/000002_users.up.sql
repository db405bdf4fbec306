CREATE TABLE users (id bigserial PRIMARY KEY, handle varchar(40) NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO schema_migrations (version) VALUES (2);

CREATE TABLE notebooks (id bigserial PRIMARY KEY, owner_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE, title text NOT NULL);
INSERT INTO schema_migrations (version) VALUES (3);

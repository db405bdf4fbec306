ALTER TABLE users ADD COLUMN email TEXT CHECK (length(email) <= 254);
CREATE UNIQUE INDEX users_email ON users (email) WHERE email IS NOT NULL;
INSERT INTO schema_migrations (version) VALUES (14);

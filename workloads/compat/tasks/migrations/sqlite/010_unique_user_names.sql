CREATE UNIQUE INDEX users_name_key ON users (name);

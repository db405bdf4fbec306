CREATE TABLE shares (
    notebook_id bigint NOT NULL REFERENCES notebooks (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    can_write boolean NOT NULL DEFAULT false,
    PRIMARY KEY (notebook_id, user_id)
);
INSERT INTO schema_migrations (version) VALUES (9);

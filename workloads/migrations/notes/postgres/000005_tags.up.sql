CREATE TABLE tags (id bigserial PRIMARY KEY, label varchar(32) NOT NULL UNIQUE);
CREATE TABLE note_tags (
    note_id bigint NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    tag_id bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (note_id, tag_id)
);
INSERT INTO schema_migrations (version) VALUES (5);

CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE CHECK (length(label) <= 32));
CREATE TABLE note_tags (
    note_id INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (note_id, tag_id)
);
INSERT INTO schema_migrations (version) VALUES (5);

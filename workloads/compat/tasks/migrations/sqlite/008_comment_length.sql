CREATE TABLE comments_new (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    body TEXT NOT NULL CHECK (length(body) >= 20)
);
INSERT INTO comments_new SELECT id, task_id, body FROM comments;
DROP TABLE comments;
ALTER TABLE comments_new RENAME TO comments;

-- backward-compatible: false
-- Who created a task: required from now on (SQLite adds a NOT NULL column without a default by rebuilding).
CREATE TABLE tasks_new (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'high', 'urgent')),
    estimate INTEGER,
    legacy_code TEXT,
    due DATE,
    created_by INTEGER NOT NULL REFERENCES users (id)
);
INSERT INTO tasks_new SELECT id, owner_id, title, status, priority, estimate, legacy_code, due, owner_id FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;
CREATE INDEX tasks_owner_idx ON tasks (owner_id);
CREATE INDEX tasks_status_idx ON tasks (status);

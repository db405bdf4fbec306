-- backward-compatible: true
-- Estimates in whole hours.
CREATE TABLE tasks_new (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    estimate INTEGER,
    legacy_code TEXT,
    due DATE
);
INSERT INTO tasks_new SELECT id, owner_id, title, status, priority, CAST(round(estimate) AS INTEGER), legacy_code, due FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;
CREATE INDEX tasks_owner_idx ON tasks (owner_id);
CREATE INDEX tasks_status_idx ON tasks (status);

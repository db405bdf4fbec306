-- The last migration the old build (release 1.3) knows.
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    body TEXT NOT NULL
);

-- The last migration the old build (release 1.3) knows.
CREATE TABLE comments (
    id serial PRIMARY KEY,
    task_id integer NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    body text NOT NULL
);

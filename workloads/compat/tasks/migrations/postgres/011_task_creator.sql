-- backward-compatible: false
-- Who created a task: required from now on.
ALTER TABLE tasks ADD COLUMN created_by integer NOT NULL REFERENCES users (id);

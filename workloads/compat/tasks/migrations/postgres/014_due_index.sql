-- backward-compatible: true
CREATE INDEX tasks_due_idx ON tasks (due);

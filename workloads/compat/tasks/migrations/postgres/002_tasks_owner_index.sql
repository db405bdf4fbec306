CREATE INDEX tasks_owner_idx ON tasks (owner_id);

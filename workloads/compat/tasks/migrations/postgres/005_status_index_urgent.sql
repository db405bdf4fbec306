-- backward-compatible: true
CREATE INDEX tasks_status_idx ON tasks (status);
ALTER TYPE priority ADD VALUE 'urgent';

-- backward-compatible: true
-- Only additions: a labels table and a nullable column.
CREATE TABLE labels (
    id serial PRIMARY KEY,
    name text NOT NULL
);
ALTER TABLE tasks ADD COLUMN due date;

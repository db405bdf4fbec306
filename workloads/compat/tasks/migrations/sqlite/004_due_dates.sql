-- backward-compatible: true
-- Only additions: a labels table and a nullable column.
CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
ALTER TABLE tasks ADD COLUMN due DATE;

CREATE INDEX notes_notebook ON notes (notebook_id);
UPDATE notes SET title = '' WHERE title IS NULL;
ALTER TABLE notes ALTER COLUMN title SET DEFAULT '';
INSERT INTO schema_migrations (version) VALUES (7);

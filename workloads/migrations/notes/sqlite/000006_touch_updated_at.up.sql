CREATE TRIGGER touch_updated_at AFTER UPDATE OF title, body ON notes FOR EACH ROW BEGIN
    UPDATE notes SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
INSERT INTO schema_migrations (version) VALUES (6);

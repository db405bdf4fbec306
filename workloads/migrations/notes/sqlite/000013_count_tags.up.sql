ALTER TABLE tags ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER note_tags_count AFTER INSERT ON note_tags FOR EACH ROW BEGIN
    UPDATE tags SET uses = uses + 1 WHERE id = NEW.tag_id;
END;
INSERT INTO schema_migrations (version) VALUES (13);

-- reminders are kept by the mobile app itself on SQLite
INSERT INTO schema_migrations (version) VALUES (16);

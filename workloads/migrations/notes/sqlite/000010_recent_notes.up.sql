-- views are computed in the application on SQLite
INSERT INTO schema_migrations (version) VALUES (10);

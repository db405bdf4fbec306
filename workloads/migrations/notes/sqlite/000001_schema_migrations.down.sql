DROP TABLE schema_migrations;

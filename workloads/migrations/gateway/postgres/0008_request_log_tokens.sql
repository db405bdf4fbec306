ALTER TABLE request_log ADD COLUMN tokens integer NOT NULL DEFAULT 0;

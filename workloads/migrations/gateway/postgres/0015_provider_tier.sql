ALTER TABLE providers ADD COLUMN tier varchar(16) NOT NULL DEFAULT 'standard';

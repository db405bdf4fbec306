ALTER TABLE providers ADD COLUMN tier TEXT NOT NULL DEFAULT 'basic' CHECK (length(tier) <= 16);

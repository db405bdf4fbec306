ALTER TABLE routes ADD COLUMN streaming boolean NOT NULL DEFAULT false;

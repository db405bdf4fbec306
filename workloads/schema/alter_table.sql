-- feature: ALTER TABLE
-- area: Schema
CREATE TABLE items (id int PRIMARY KEY, label varchar(20));
INSERT INTO items VALUES (1, 'one'), (2, 'two');
ALTER TABLE items ADD COLUMN price numeric(8,2) NOT NULL DEFAULT 9.99;
ALTER TABLE items ALTER COLUMN label TYPE varchar(40);
ALTER TABLE items RENAME COLUMN label TO title;
ALTER TABLE items ADD CONSTRAINT price_positive CHECK (price > 0);
ALTER TABLE items DROP COLUMN price;
SELECT * FROM items ORDER BY id;
ALTER TABLE items ALTER COLUMN title SET NOT NULL;
INSERT INTO items (id) VALUES (3);
DROP TABLE items;
DROP TABLE items;
DROP TABLE IF EXISTS items;

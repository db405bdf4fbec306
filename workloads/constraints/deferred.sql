-- feature: Deferred foreign keys failing at COMMIT
-- area: Constraints
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
BEGIN;
INSERT INTO child VALUES (1, 42);
INSERT INTO parent VALUES (42);
COMMIT;
BEGIN;
INSERT INTO child VALUES (2, 43);
COMMIT;
SELECT * FROM child ORDER BY id;

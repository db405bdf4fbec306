-- feature: Indexes (unique, expression, partial)
-- area: Schema
CREATE TABLE events (id int, kind text, at date);
CREATE INDEX events_kind_idx ON events (kind);
CREATE UNIQUE INDEX events_id_idx ON events (id);
CREATE INDEX events_lower_kind_idx ON events (lower(kind)) WHERE at IS NOT NULL;
INSERT INTO events VALUES (1, 'Click', '2024-02-29'), (2, 'view', NULL);
INSERT INTO events VALUES (1, 'dup', NULL);
CREATE INDEX events_kind_idx ON events (at);
CREATE INDEX IF NOT EXISTS events_kind_idx ON events (at);
DROP INDEX events_lower_kind_idx;
SELECT kind FROM events WHERE lower(kind) = 'click';

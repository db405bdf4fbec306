-- backward-compatible: true
-- Estimates in whole hours.
ALTER TABLE tasks ALTER COLUMN estimate TYPE integer USING round(estimate)::integer;

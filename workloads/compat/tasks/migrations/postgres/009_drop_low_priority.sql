-- No more 'low' priority: the enum is made again without it.
ALTER TYPE priority RENAME TO priority_old;
CREATE TYPE priority AS ENUM ('normal', 'high', 'urgent');
ALTER TABLE tasks ALTER COLUMN priority DROP DEFAULT;
ALTER TABLE tasks ALTER COLUMN priority TYPE priority USING (
    CASE priority::text WHEN 'low' THEN 'normal' ELSE priority::text END
)::priority;
ALTER TABLE tasks ALTER COLUMN priority SET DEFAULT 'normal';
DROP TYPE priority_old;

CREATE TABLE providers (
    id TEXT NOT NULL PRIMARY KEY,
    base_url TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
);

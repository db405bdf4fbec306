CREATE TABLE models (
    id TEXT NOT NULL PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    context_window INTEGER NOT NULL CHECK (context_window > 0)
);

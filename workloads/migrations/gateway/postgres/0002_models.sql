CREATE TABLE models (
    id text PRIMARY KEY,
    provider_id text NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    context_window integer NOT NULL CHECK (context_window > 0)
);

CREATE TABLE model_aliases (
    alias TEXT NOT NULL,
    model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE
);

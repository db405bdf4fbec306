CREATE TABLE model_aliases (
    alias text NOT NULL,
    model_id text NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    UNIQUE (alias)
);

CREATE TABLE providers (
    id text PRIMARY KEY,
    base_url text NOT NULL,
    enabled boolean NOT NULL DEFAULT true
);

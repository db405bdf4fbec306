CREATE TABLE compatibility_profiles (
    id text PRIMARY KEY,
    description text NOT NULL DEFAULT ''
);

CREATE TABLE compatibility_profiles (
    id TEXT NOT NULL PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
);

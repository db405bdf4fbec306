CREATE TABLE route_profiles (
    route_id INTEGER NOT NULL REFERENCES routes (id),
    profile_id TEXT NOT NULL REFERENCES compatibility_profiles (id) ON DELETE CASCADE,
    PRIMARY KEY (route_id, profile_id)
);

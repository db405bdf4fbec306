CREATE TABLE route_profiles (
    route_id bigint NOT NULL REFERENCES routes (id) ON DELETE CASCADE,
    profile_id text NOT NULL REFERENCES compatibility_profiles (id) ON DELETE CASCADE,
    PRIMARY KEY (route_id, profile_id)
);

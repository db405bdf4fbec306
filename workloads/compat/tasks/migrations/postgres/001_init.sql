-- The tasks app's first schema.
CREATE TYPE priority AS ENUM ('low', 'normal', 'high');

CREATE TABLE users (
    id serial PRIMARY KEY,
    name text NOT NULL,
    email text
);

CREATE TABLE tasks (
    id serial PRIMARY KEY,
    owner_id integer NOT NULL REFERENCES users (id),
    title text NOT NULL,
    status text NOT NULL DEFAULT 'open',
    priority priority NOT NULL DEFAULT 'normal',
    estimate numeric(6, 2),
    legacy_code text
);

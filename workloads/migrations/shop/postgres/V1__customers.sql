CREATE TABLE customers (
    id bigserial PRIMARY KEY,
    email varchar(200) NOT NULL UNIQUE,
    display_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

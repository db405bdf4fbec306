CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    status varchar(16) NOT NULL DEFAULT 'open',
    placed_at timestamptz NOT NULL DEFAULT now()
);

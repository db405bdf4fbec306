CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'open' CHECK (length(status) <= 16),
    placed_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

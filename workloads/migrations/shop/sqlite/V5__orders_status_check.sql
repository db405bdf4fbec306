-- SQLite cannot add a constraint to a table: rebuild it (https://sqlite.org/lang_altertable.html).
CREATE TABLE orders_new (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'open' CHECK (length(status) <= 16) CHECK (status IN ('open', 'paid', 'shipped', 'cancelled')),
    placed_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO orders_new SELECT id, customer_id, status, placed_at FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;

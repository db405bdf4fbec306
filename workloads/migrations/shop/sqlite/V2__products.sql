CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE CHECK (length(sku) <= 32),
    title TEXT NOT NULL,
    price NUMERIC NOT NULL CHECK (price >= 0)
);

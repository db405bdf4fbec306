CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku VARCHAR(32) NOT NULL UNIQUE,
    title TEXT NOT NULL,
    price NUMERIC NOT NULL CHECK (price >= 0)
);

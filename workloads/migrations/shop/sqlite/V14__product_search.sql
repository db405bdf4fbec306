CREATE INDEX products_title_idx ON products (title);
ALTER TABLE products ADD COLUMN description TEXT;

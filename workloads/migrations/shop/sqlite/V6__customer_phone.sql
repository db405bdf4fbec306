ALTER TABLE customers ADD COLUMN phone TEXT CHECK (length(phone) <= 32);

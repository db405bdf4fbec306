ALTER TABLE orders ADD CONSTRAINT orders_status_known CHECK (status IN ('open', 'paid', 'shipped', 'cancelled'));

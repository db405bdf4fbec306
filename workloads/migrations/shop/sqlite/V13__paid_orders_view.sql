CREATE VIEW paid_orders AS SELECT id, customer_id, placed_at FROM orders WHERE status = 'paid';

ALTER TABLE orders ADD COLUMN coupon_code VARCHAR(24) REFERENCES coupons (code);

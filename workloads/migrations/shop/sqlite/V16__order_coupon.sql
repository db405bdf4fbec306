ALTER TABLE orders ADD COLUMN coupon_code TEXT REFERENCES coupons (code) CHECK (length(coupon_code) <= 24);

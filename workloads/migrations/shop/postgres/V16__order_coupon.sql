ALTER TABLE orders ADD COLUMN coupon_code varchar(24) REFERENCES coupons (code);

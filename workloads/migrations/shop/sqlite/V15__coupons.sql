CREATE TABLE coupons (
    code VARCHAR(24) NOT NULL PRIMARY KEY,
    percent_off INTEGER NOT NULL CHECK (percent_off BETWEEN 1 AND 100),
    valid_until DATE
);

CREATE TABLE coupons (
    code TEXT NOT NULL PRIMARY KEY CHECK (length(code) <= 24),
    percent_off INTEGER NOT NULL CHECK (percent_off BETWEEN 1 AND 100),
    valid_until DATE
);

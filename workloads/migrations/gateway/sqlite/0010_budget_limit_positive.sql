CREATE TABLE budgets_new (
    api_key_id BIGINT NOT NULL PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    monthly_limit_cents BIGINT NOT NULL CHECK (monthly_limit_cents >= 0),
    spent_cents BIGINT NOT NULL DEFAULT 0
);
INSERT INTO budgets_new SELECT api_key_id, monthly_limit_cents, spent_cents FROM budgets;
DROP TABLE budgets;
ALTER TABLE budgets_new RENAME TO budgets;

CREATE TABLE budgets (
    api_key_id BIGINT NOT NULL PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    monthly_limit_cents BIGINT NOT NULL,
    spent_cents BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE budgets (
    api_key_id bigint PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    monthly_limit_cents bigint NOT NULL,
    spent_cents bigint NOT NULL DEFAULT 0
);

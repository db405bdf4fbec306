CREATE TABLE usage_ledger (
    api_key_id bigint NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day date NOT NULL,
    tokens bigint NOT NULL DEFAULT 0,
    cost_cents bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (api_key_id, day)
);

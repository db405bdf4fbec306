-- pgparity migrate repro: check budgets first appears at version 10
-- candidate: sqlite?foreign_keys=on (SQLite)
-- replay: sqlite3 fresh.db < candidate.sql

-- version 4: workloads/migrations/gateway/sqlite/0004_api_keys.sql
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    key_hash BLOB NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at TEXT
);

-- version 6: workloads/migrations/gateway/sqlite/0006_budgets.sql
CREATE TABLE budgets (
    api_key_id BIGINT NOT NULL PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    monthly_limit_cents BIGINT NOT NULL,
    spent_cents BIGINT NOT NULL DEFAULT 0
);

-- version 10: workloads/migrations/gateway/sqlite/0010_budget_limit_positive.sql
CREATE TABLE budgets_new (
    api_key_id BIGINT NOT NULL PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    monthly_limit_cents BIGINT NOT NULL CHECK (monthly_limit_cents >= 0),
    spent_cents BIGINT NOT NULL DEFAULT 0
);
INSERT INTO budgets_new SELECT api_key_id, monthly_limit_cents, spent_cents FROM budgets;
DROP TABLE budgets;
ALTER TABLE budgets_new RENAME TO budgets;

-- what shows it:
SELECT sql FROM sqlite_schema WHERE name = 'budgets';
SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('budgets');

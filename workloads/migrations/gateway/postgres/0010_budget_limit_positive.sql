ALTER TABLE budgets ADD CONSTRAINT budgets_limit_positive CHECK (monthly_limit_cents > 0);

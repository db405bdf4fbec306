CREATE INDEX api_keys_active ON api_keys (owner) WHERE revoked_at IS NULL;

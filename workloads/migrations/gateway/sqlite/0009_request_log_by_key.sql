CREATE INDEX request_log_key_time ON request_log (api_key_id, created_at);

CREATE TABLE request_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_key_id bigint NOT NULL REFERENCES api_keys (id),
    route_id bigint REFERENCES routes (id) ON DELETE SET NULL,
    status_code integer NOT NULL,
    latency_ms integer,
    created_at timestamptz NOT NULL DEFAULT now()
);

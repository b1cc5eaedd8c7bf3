-- A client's Idempotency-Key, held by exactly one run across replicas.
CREATE TABLE idempotency_claims (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id     TEXT NOT NULL,
    key          TEXT NOT NULL,
    tool_name    TEXT NOT NULL,
    run_id       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    lease_until  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, agent_id, key)
);
CREATE INDEX idempotency_claims_created_at ON idempotency_claims (created_at);

-- Signed webhook requests already accepted (each is accepted once).
CREATE TABLE replay_guard (
    key        TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX replay_guard_expires_at ON replay_guard (expires_at);

-- Guardrails: caller confirmations, human approvals, the response cache
-- and workspace settings. Times are microseconds since the Unix epoch.

-- A run answered from the response cache sent nothing upstream.
ALTER TABLE runs ADD COLUMN cache_hit INTEGER NOT NULL DEFAULT 0;

-- A connection's own limits (a JSON array), applied to all its tools.
ALTER TABLE connections ADD COLUMN limits TEXT;

-- Pending caller confirmations, by the SHA-256 of their token; each is
-- consumed by the one call that matches all its bindings.
CREATE TABLE confirmations (
    token_hash      TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id        TEXT NOT NULL,
    tool_id         TEXT NOT NULL,
    tool_version    INTEGER NOT NULL,
    conversation_id TEXT NOT NULL,
    args_hash       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX confirmations_expires_at ON confirmations (expires_at);

-- A run's request for approval and its decision.
CREATE TABLE approvals (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    run_id       TEXT NOT NULL,
    agent_id     TEXT NOT NULL,
    tool_name    TEXT NOT NULL,
    status       TEXT NOT NULL,
    callback_url TEXT NOT NULL,
    timeout_ms   INTEGER NOT NULL,
    requested_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    decided_by   TEXT NOT NULL,
    decided_at   INTEGER,
    reason       TEXT NOT NULL,
    PRIMARY KEY (workspace_id, run_id)
);
CREATE INDEX approvals_status_expires_at ON approvals (status, expires_at);
CREATE INDEX approvals_workspace_id_status ON approvals (workspace_id, status, run_id);

-- Rate and concurrency limits are kept in memory: one process owns a
-- SQLite file (see store/sqlite/limits.go).

-- Cached upstream results (already redacted).
CREATE TABLE cache_entries (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    value        BLOB NOT NULL,
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX cache_entries_expires_at ON cache_entries (expires_at);

-- A workspace's optional settings.
CREATE TABLE workspace_settings (
    workspace_id         TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    approval_webhook_url TEXT NOT NULL,
    updated_at           INTEGER NOT NULL
);

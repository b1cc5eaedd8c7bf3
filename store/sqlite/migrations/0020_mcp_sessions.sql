-- MCP sessions live in the store, so that every replica serves every
-- request of a session (no sticky load balancing).
CREATE TABLE mcp_sessions (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id          TEXT NOT NULL,
    key_id            TEXT NOT NULL,
    protocol_version  TEXT NOT NULL,
    initialize_params TEXT NOT NULL,
    initialized       INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    last_used_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX mcp_sessions_workspace_key ON mcp_sessions (workspace_id, key_id);
CREATE INDEX mcp_sessions_last_used_at ON mcp_sessions (last_used_at);

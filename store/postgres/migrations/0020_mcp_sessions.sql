-- MCP sessions live in the store, so that every replica serves every
-- request of a session (no sticky load balancing).
CREATE TABLE mcp_sessions (
    id                TEXT COLLATE "C" PRIMARY KEY,
    workspace_id      TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id          TEXT COLLATE "C" NOT NULL,
    key_id            TEXT COLLATE "C" NOT NULL,
    protocol_version  TEXT NOT NULL,
    initialize_params TEXT NOT NULL,
    initialized       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        TIMESTAMPTZ NOT NULL,
    last_used_at      TIMESTAMPTZ NOT NULL
);

CREATE INDEX mcp_sessions_workspace_key ON mcp_sessions (workspace_id, key_id);
CREATE INDEX mcp_sessions_last_used_at ON mcp_sessions (last_used_at);

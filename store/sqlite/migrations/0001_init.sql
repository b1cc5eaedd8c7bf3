CREATE TABLE workspaces (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    signing_secret BLOB,
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    agent_id     TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
) STRICT;

CREATE INDEX api_keys_workspace_id_id ON api_keys (workspace_id, id);

CREATE TABLE connections (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    base_url     TEXT NOT NULL,
    headers      TEXT,
    config       TEXT,
    auth         TEXT,
    secrets      BLOB,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
) STRICT;

CREATE INDEX connections_workspace_id_id ON connections (workspace_id, id);

CREATE TABLE tools (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    definition   TEXT,
    status       TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    published_at INTEGER,
    UNIQUE (workspace_id, name)
) STRICT;

CREATE INDEX tools_workspace_id_id ON tools (workspace_id, id);

CREATE TABLE tool_versions (
    tool_id      TEXT NOT NULL REFERENCES tools (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    name         TEXT NOT NULL,
    definition   TEXT,
    published_at INTEGER NOT NULL,
    PRIMARY KEY (tool_id, version)
) STRICT;

CREATE TABLE agents (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    instructions TEXT NOT NULL,
    tools        TEXT,
    model        TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
) STRICT;

CREATE INDEX agents_workspace_id_id ON agents (workspace_id, id);

CREATE TABLE runs (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    tool_id         TEXT NOT NULL,
    tool_name       TEXT NOT NULL,
    tool_version    INTEGER NOT NULL,
    agent_id        TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    status          TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    status_code     INTEGER NOT NULL,
    error           TEXT NOT NULL,
    duration_ms     REAL NOT NULL,
    context         TEXT,
    arguments       TEXT,
    request         TEXT,
    response        TEXT,
    result          TEXT,
    truncated       INTEGER NOT NULL,
    timings         TEXT,
    attempts        TEXT,
    idempotency_key TEXT NOT NULL,
    replay_of       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
) STRICT;

CREATE INDEX runs_workspace_id_id ON runs (workspace_id, id DESC);
CREATE INDEX runs_workspace_id_tool_name_id ON runs (workspace_id, tool_name, id);
CREATE INDEX runs_workspace_id_agent_id_id ON runs (workspace_id, agent_id, id);
CREATE INDEX runs_workspace_id_outcome_id ON runs (workspace_id, outcome, id);
CREATE INDEX runs_workspace_id_conversation_id_id ON runs (workspace_id, conversation_id, id);
CREATE INDEX runs_workspace_id_status_id ON runs (workspace_id, status, id);
CREATE INDEX runs_workspace_id_agent_id_idempotency_key ON runs (workspace_id, agent_id, idempotency_key);
CREATE INDEX runs_created_at ON runs (created_at);

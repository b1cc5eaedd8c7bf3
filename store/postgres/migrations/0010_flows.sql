-- Conversation flows: an agent's flow drafts, their immutable published
-- versions, and the sessions that run them.

-- A unique key on (workspace_id, id) lets flows reference an agent together
-- with its workspace, so a flow can never pair one workspace with another's
-- agent.
CREATE UNIQUE INDEX agents_workspace_id_id_unique ON agents (workspace_id, id);

CREATE TABLE flows (
    id           TEXT COLLATE "C" PRIMARY KEY,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id     TEXT COLLATE "C" NOT NULL,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    definition   TEXT,
    status       TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    UNIQUE (workspace_id, agent_id, name),
    FOREIGN KEY (workspace_id, agent_id) REFERENCES agents (workspace_id, id) ON DELETE CASCADE
);

CREATE INDEX flows_workspace_id_agent_id_id ON flows (workspace_id, agent_id, id);

CREATE TABLE flow_versions (
    flow_id      TEXT COLLATE "C" NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id     TEXT COLLATE "C" NOT NULL,
    version      INTEGER NOT NULL,
    name         TEXT NOT NULL,
    definition   TEXT,
    published_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (flow_id, version)
);

-- Sessions outlive their flow (deleting a flow ends them; their history
-- stays readable), so they reference only the workspace.
CREATE TABLE flow_sessions (
    id           TEXT COLLATE "C" PRIMARY KEY,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id     TEXT COLLATE "C" NOT NULL,
    flow_id      TEXT COLLATE "C" NOT NULL,
    flow_name    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    state        TEXT NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    variables    TEXT,
    context      TEXT,
    steps        BIGINT NOT NULL,
    row_version  BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX flow_sessions_workspace_id_id ON flow_sessions (workspace_id, id);
CREATE INDEX flow_sessions_workspace_id_agent_id_id ON flow_sessions (workspace_id, agent_id, id);
CREATE INDEX flow_sessions_workspace_id_flow_id_status ON flow_sessions (workspace_id, flow_id, status);

-- A session's history, appended a turn at a time (never rewritten, so a
-- turn's cost does not grow with the conversation).
CREATE TABLE flow_session_steps (
    session_id   TEXT COLLATE "C" NOT NULL REFERENCES flow_sessions (id) ON DELETE CASCADE,
    workspace_id TEXT COLLATE "C" NOT NULL,
    seq          BIGINT NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);

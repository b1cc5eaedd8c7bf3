-- A unique key on (workspace_id, id) lets child tables reference a
-- connection together with its workspace, so a row can never pair one
-- workspace with another's connection. It replaces the plain index.
DROP INDEX connections_workspace_id_id;
ALTER TABLE connections ADD CONSTRAINT connections_workspace_id_id UNIQUE (workspace_id, id);

CREATE TABLE oauth_tokens (
    workspace_id      TEXT COLLATE "C" NOT NULL,
    connection_id     TEXT COLLATE "C" NOT NULL,
    access_token      BYTEA,
    refresh_token     BYTEA,
    token_type        TEXT NOT NULL,
    expiry            TIMESTAMPTZ,
    scopes            TEXT NOT NULL,
    status            TEXT NOT NULL,
    last_error        TEXT NOT NULL,
    last_refreshed_at TIMESTAMPTZ,
    version           BIGINT NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, connection_id),
    FOREIGN KEY (workspace_id, connection_id) REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE oauth_states (
    state_hash    TEXT COLLATE "C" PRIMARY KEY,
    workspace_id  TEXT COLLATE "C" NOT NULL,
    connection_id TEXT COLLATE "C" NOT NULL,
    code_verifier BYTEA,
    redirect_url  TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (workspace_id, connection_id) REFERENCES connections (workspace_id, id) ON DELETE CASCADE
);

CREATE INDEX oauth_states_workspace_id_connection_id ON oauth_states (workspace_id, connection_id);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);

CREATE TABLE sessions (
    id_hash      TEXT COLLATE "C" PRIMARY KEY,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key_id       TEXT COLLATE "C" NOT NULL,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_workspace_id ON sessions (workspace_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

ALTER TABLE agents ADD COLUMN adapters BYTEA;

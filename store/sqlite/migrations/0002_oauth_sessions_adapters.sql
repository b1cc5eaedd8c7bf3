-- A unique key on (workspace_id, id) lets child tables reference a
-- connection together with its workspace, so a row can never pair one
-- workspace with another's connection. It replaces the plain index.
DROP INDEX connections_workspace_id_id;
CREATE UNIQUE INDEX connections_workspace_id_id ON connections (workspace_id, id);

CREATE TABLE oauth_tokens (
    workspace_id      TEXT NOT NULL,
    connection_id     TEXT NOT NULL,
    access_token      BLOB,
    refresh_token     BLOB,
    token_type        TEXT NOT NULL,
    expiry            INTEGER,
    scopes            TEXT NOT NULL,
    status            TEXT NOT NULL,
    last_error        TEXT NOT NULL,
    last_refreshed_at INTEGER,
    version           INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, connection_id),
    FOREIGN KEY (workspace_id, connection_id) REFERENCES connections (workspace_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE oauth_states (
    state_hash    TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    code_verifier BLOB,
    redirect_url  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    FOREIGN KEY (workspace_id, connection_id) REFERENCES connections (workspace_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX oauth_states_workspace_id_connection_id ON oauth_states (workspace_id, connection_id);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key_id       TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_workspace_id ON sessions (workspace_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

ALTER TABLE agents ADD COLUMN adapters BLOB;

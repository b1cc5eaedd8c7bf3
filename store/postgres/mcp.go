package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/store"
)

var _ store.MCPSessionStore = (*Store)(nil)

const mcpSessionColumns = `id, workspace_id, agent_id, key_id, protocol_version, initialize_params, initialized, created_at, last_used_at`

// MCPSessionInsert stores a new MCP session.
func (s *Store) MCPSessionInsert(ctx context.Context, sess *store.MCPSession) error {
	params := string(sess.InitializeParams)
	if params == "" {
		params = "{}"
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO mcp_sessions (`+mcpSessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		sess.ID, sess.WorkspaceID, sess.AgentID, sess.KeyID, sess.ProtocolVersion, params, sess.Initialized,
		sess.CreatedAt, sess.LastUsedAt)
	if err != nil {
		return fmt.Errorf("inserting MCP session: %w", mapParentErr(err))
	}
	return nil
}

// MCPSessionGet returns an MCP session of the workspace.
func (s *Store) MCPSessionGet(ctx context.Context, workspaceID, id string) (*store.MCPSession, error) {
	var (
		sess   store.MCPSession
		params string
	)
	err := s.pool.QueryRow(ctx, `SELECT `+mcpSessionColumns+` FROM mcp_sessions WHERE workspace_id = $1 AND id = $2`,
		workspaceID, id).Scan(&sess.ID, &sess.WorkspaceID, &sess.AgentID, &sess.KeyID, &sess.ProtocolVersion, &params,
		&sess.Initialized, &sess.CreatedAt, &sess.LastUsedAt)
	if err != nil {
		return nil, fmt.Errorf("getting MCP session: %w", mapErr(err))
	}
	sess.InitializeParams = json.RawMessage(params)
	sess.CreatedAt = sess.CreatedAt.UTC()
	sess.LastUsedAt = sess.LastUsedAt.UTC()
	return &sess, nil
}

// MCPSessionUpdate writes a session's Initialized and LastUsedAt.
func (s *Store) MCPSessionUpdate(ctx context.Context, sess *store.MCPSession) error {
	tag, err := s.pool.Exec(ctx, `UPDATE mcp_sessions SET initialized = $1, last_used_at = $2 WHERE workspace_id = $3 AND id = $4`,
		sess.Initialized, sess.LastUsedAt, sess.WorkspaceID, sess.ID)
	if err == nil {
		err = affectedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("updating MCP session: %w", mapErr(err))
	}
	return nil
}

// MCPSessionDelete ends an MCP session.
func (s *Store) MCPSessionDelete(ctx context.Context, workspaceID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM mcp_sessions WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
	if err == nil {
		err = affectedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("deleting MCP session: %w", mapErr(err))
	}
	return nil
}

// MCPSessionDeleteIdle deletes the sessions last used before t.
func (s *Store) MCPSessionDeleteIdle(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM mcp_sessions WHERE last_used_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("deleting idle MCP sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// MCPSessionDeleteByKey ends the sessions opened with the key.
func (s *Store) MCPSessionDeleteByKey(ctx context.Context, workspaceID, keyID string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM mcp_sessions WHERE workspace_id = $1 AND key_id = $2`, workspaceID, keyID)
	if err != nil {
		return 0, fmt.Errorf("deleting MCP sessions of key: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

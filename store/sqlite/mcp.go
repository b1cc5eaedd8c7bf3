package sqlite

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
	_, err := s.write.ExecContext(ctx, `INSERT INTO mcp_sessions (`+mcpSessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sess.ID, sess.WorkspaceID, sess.AgentID, sess.KeyID, sess.ProtocolVersion, params, sess.Initialized,
		micros(sess.CreatedAt), micros(sess.LastUsedAt))
	if err != nil {
		return fmt.Errorf("inserting MCP session: %w", mapParentErr(err))
	}
	return nil
}

// MCPSessionGet returns an MCP session of the workspace.
func (s *Store) MCPSessionGet(ctx context.Context, workspaceID, id string) (*store.MCPSession, error) {
	var (
		sess                store.MCPSession
		params              string
		createdAt, lastUsed int64
	)
	err := s.read.QueryRowContext(ctx, `SELECT `+mcpSessionColumns+` FROM mcp_sessions WHERE workspace_id = ? AND id = ?`,
		workspaceID, id).Scan(&sess.ID, &sess.WorkspaceID, &sess.AgentID, &sess.KeyID, &sess.ProtocolVersion, &params,
		&sess.Initialized, &createdAt, &lastUsed)
	if err != nil {
		return nil, fmt.Errorf("getting MCP session: %w", mapErr(err))
	}
	sess.InitializeParams = json.RawMessage(params)
	sess.CreatedAt = fromMicros(createdAt)
	sess.LastUsedAt = fromMicros(lastUsed)
	return &sess, nil
}

// MCPSessionUpdate writes a session's Initialized and LastUsedAt.
func (s *Store) MCPSessionUpdate(ctx context.Context, sess *store.MCPSession) error {
	res, err := s.write.ExecContext(ctx, `UPDATE mcp_sessions SET initialized = ?, last_used_at = ? WHERE workspace_id = ? AND id = ?`,
		sess.Initialized, micros(sess.LastUsedAt), sess.WorkspaceID, sess.ID)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("updating MCP session: %w", mapErr(err))
	}
	return nil
}

// MCPSessionDelete ends an MCP session.
func (s *Store) MCPSessionDelete(ctx context.Context, workspaceID, id string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM mcp_sessions WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("deleting MCP session: %w", mapErr(err))
	}
	return nil
}

// MCPSessionDeleteIdle deletes the sessions last used before t.
func (s *Store) MCPSessionDeleteIdle(ctx context.Context, before time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM mcp_sessions WHERE last_used_at < ?`, micros(before))
	if err != nil {
		return 0, fmt.Errorf("deleting idle MCP sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// MCPSessionDeleteByKey ends the sessions opened with the key.
func (s *Store) MCPSessionDeleteByKey(ctx context.Context, workspaceID, keyID string) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM mcp_sessions WHERE workspace_id = ? AND key_id = ?`, workspaceID, keyID)
	if err != nil {
		return 0, fmt.Errorf("deleting MCP sessions of key: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

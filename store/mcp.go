package store

import (
	"context"
	"encoding/json"
	"time"
)

// MCPSession is an MCP client's session on /mcp (Streamable HTTP). It lives
// in the store so that every replica can serve any request of the session:
// it is bound to the agent key that opened it and remembers what the client
// said when it initialized.
type MCPSession struct {
	// ID is the Mcp-Session-Id: random, unguessable, globally unique.
	ID          string
	WorkspaceID string
	AgentID     string
	// KeyID is the agent key that opened the session; no other key may use
	// it.
	KeyID string
	// ProtocolVersion is the negotiated MCP protocol version.
	ProtocolVersion string
	// InitializeParams is the JSON of the client's initialize params
	// (protocol version asked for, capabilities, client info).
	InitializeParams json.RawMessage
	// Initialized is set once the client sent notifications/initialized.
	Initialized bool
	CreatedAt   time.Time
	// LastUsedAt is when the client last sent a request (kept to a coarse
	// precision by the caller, which decides idle expiry from it).
	LastUsedAt time.Time
}

// MCPSessionStore persists MCP sessions. Every Store implements it. Every
// method is scoped by workspace, except the sweep of idle sessions.
type MCPSessionStore interface {
	// MCPSessionInsert stores a new session. A missing workspace is
	// ErrNotFound; a duplicate ID is ErrConflict.
	MCPSessionInsert(ctx context.Context, s *MCPSession) error
	// MCPSessionGet returns a session of the workspace; ErrNotFound when
	// there is none.
	MCPSessionGet(ctx context.Context, workspaceID, id string) (*MCPSession, error)
	// MCPSessionUpdate writes a session's Initialized and LastUsedAt.
	MCPSessionUpdate(ctx context.Context, s *MCPSession) error
	// MCPSessionDelete ends a session; ErrNotFound when there is none.
	MCPSessionDelete(ctx context.Context, workspaceID, id string) error
	// MCPSessionDeleteIdle deletes the sessions of every workspace last
	// used before t and returns how many went.
	MCPSessionDeleteIdle(ctx context.Context, before time.Time) (int, error)
	// MCPSessionDeleteByKey ends every session opened with the key (when
	// it is revoked) and returns how many went.
	MCPSessionDeleteByKey(ctx context.Context, workspaceID, keyID string) (int, error)
}

package mcpserver

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"time"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
)

// MCPSessionIdleTimeoutDefault is how long an MCP session may go without a
// request from its client before it ends. A client whose session ended
// gets 404 and initializes a new one.
const MCPSessionIdleTimeoutDefault = 30 * time.Minute

// Headers of the Streamable HTTP transport.
const (
	headerSessionID       = "Mcp-Session-Id"
	headerProtocolVersion = "Mcp-Protocol-Version"
)

// maxSessionIDBytes bounds the Mcp-Session-Id a client sends.
const maxSessionIDBytes = 128

// sweepEvery is how often a replica deletes idle sessions (on an
// initialize).
const sweepEvery = time.Minute

// sessionEnded is the kind of change that tells every replica a session
// ended (DELETE), so that they close its streams.
const sessionEnded changes.What = "mcp_session_ended"

var errSessionNotFound = errors.New("session not found")

// newSessionID returns a random session ID of visible ASCII characters.
func newSessionID() string { return rand.Text() + rand.Text() }

// validSessionID reports whether a client's Mcp-Session-Id can be one of
// ours: bounded, visible ASCII.
func validSessionID(id string) bool {
	if id == "" || len(id) > maxSessionIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// session returns the principal's session with the given ID. A session
// that does not exist, ended, went idle or was opened with another key is
// errSessionNotFound (another key's session is not found, as every object
// of another tenant). Its last use is brought forward, coarsely.
func (g *Server) session(ctx context.Context, p *tenant.Principal, id string) (*store.MCPSession, error) {
	if !validSessionID(id) {
		return nil, errSessionNotFound
	}
	s, err := g.sessions.MCPSessionGet(ctx, p.WorkspaceID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errSessionNotFound
	}
	if err != nil {
		return nil, err
	}
	if s.KeyID != p.KeyID || s.AgentID != p.AgentID {
		return nil, errSessionNotFound
	}
	now := g.now().UTC()
	if now.Sub(s.LastUsedAt) > g.idleTimeout {
		if err := g.sessions.MCPSessionDelete(ctx, s.WorkspaceID, s.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			g.log.WarnContext(ctx, "deleting an idle MCP session", slog.Any("err", err))
		}
		g.streams.closeSession(s.ID)
		return nil, errSessionNotFound
	}
	if now.Sub(s.LastUsedAt) >= g.touchEvery {
		s.LastUsedAt = now
		if err := g.sessions.MCPSessionUpdate(ctx, s); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return s, nil
}

// markInitialized records that the client sent notifications/initialized.
func (g *Server) markInitialized(ctx context.Context, s *store.MCPSession) error {
	if s.Initialized {
		return nil
	}
	s.Initialized = true
	return g.sessions.MCPSessionUpdate(ctx, s)
}

// endSession ends a session everywhere: the row goes, and every replica
// closes the session's streams.
func (g *Server) endSession(ctx context.Context, s *store.MCPSession) error {
	if err := g.sessions.MCPSessionDelete(ctx, s.WorkspaceID, s.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	g.streams.closeSession(s.ID)
	if g.notifier != nil {
		g.notifier.Notify(context.WithoutCancel(ctx), changes.Change{WorkspaceID: s.WorkspaceID, What: sessionEnded, ID: s.ID})
	}
	return nil
}

// sweepIdle deletes the sessions of every workspace that went idle, at most
// once per sweepEvery on this replica.
func (g *Server) sweepIdle(ctx context.Context) {
	now := g.now()
	g.sweepMu.Lock()
	due := now.Sub(g.lastSweep) >= sweepEvery
	if due {
		g.lastSweep = now
	}
	g.sweepMu.Unlock()
	if !due {
		return
	}
	if _, err := g.sessions.MCPSessionDeleteIdle(ctx, now.Add(-g.idleTimeout).UTC()); err != nil {
		g.log.WarnContext(ctx, "deleting idle MCP sessions", slog.Any("err", err))
	}
}

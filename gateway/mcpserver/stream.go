package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
)

// streamHeartbeat is how often an idle GET stream gets an SSE comment (so
// proxies keep it open) and checks that its session still exists.
const streamHeartbeat = 25 * time.Second

// listChanged is the notification a client's GET stream receives when its
// agent's tools change.
var listChanged = []byte(`{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}`)

// stream is one open GET (the standalone SSE stream) of a session on this
// replica.
type stream struct {
	sessionID string
	keyID     string
	agent     agentRef
	send      chan []byte
	done      chan struct{}
	once      sync.Once
}

func (s *stream) close() { s.once.Do(func() { close(s.done) }) }

// streams are the GET streams open on this replica, by agent and session.
// A notification for a session goes to its newest stream here.
type streams struct {
	mu      sync.Mutex
	byAgent map[agentRef]map[string][]*stream
}

func (ss *streams) add(s *stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.byAgent == nil {
		ss.byAgent = map[agentRef]map[string][]*stream{}
	}
	sessions := ss.byAgent[s.agent]
	if sessions == nil {
		sessions = map[string][]*stream{}
		ss.byAgent[s.agent] = sessions
	}
	sessions[s.sessionID] = append(sessions[s.sessionID], s)
}

func (ss *streams) remove(s *stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sessions := ss.byAgent[s.agent]
	list := sessions[s.sessionID]
	for i, o := range list {
		if o == s {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(sessions, s.sessionID)
	} else {
		sessions[s.sessionID] = list
	}
	if len(sessions) == 0 {
		delete(ss.byAgent, s.agent)
	}
}

// notify sends msg to the newest stream of each of the agent's sessions. A
// stream whose buffer is full already has notifications to deliver and
// skips this one.
func (ss *streams) notify(agent agentRef, msg []byte) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, list := range ss.byAgent[agent] {
		select {
		case list[len(list)-1].send <- msg:
		default:
		}
	}
}

// has reports whether the agent has a stream open here.
func (ss *streams) has(agent agentRef) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.byAgent[agent]) > 0
}

// closeWhere closes the streams that match.
func (ss *streams) closeWhere(match func(*stream) bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, sessions := range ss.byAgent {
		for _, list := range sessions {
			for _, s := range list {
				if match(s) {
					s.close()
				}
			}
		}
	}
}

func (ss *streams) closeSession(id string) {
	ss.closeWhere(func(s *stream) bool { return s.sessionID == id })
}

func (ss *streams) closeAgent(agent agentRef) {
	ss.closeWhere(func(s *stream) bool { return s.agent == agent })
}

func (ss *streams) closeKey(keyID string) {
	ss.closeWhere(func(s *stream) bool { return s.keyID == keyID })
}

// serveStream holds a session's GET open as an SSE stream and writes the
// notifications meant for it until the client leaves, the session ends or
// the server shuts down. Resumption (Last-Event-ID) is not offered: a
// client that reconnects lists the tools again.
func (g *Server) serveStream(w http.ResponseWriter, r *http.Request, p *tenant.Principal, sess *store.MCPSession) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Connection", "keep-alive")
	h.Set(headerSessionID, sess.ID)
	w.WriteHeader(http.StatusOK)
	// A comment gets the headers past proxies that wait for body bytes.
	if _, err := fmt.Fprint(w, ": ok\n\n"); err != nil {
		return
	}
	_ = rc.Flush()

	s := &stream{sessionID: sess.ID, keyID: p.KeyID, agent: agentRef{p.WorkspaceID, p.AgentID},
		send: make(chan []byte, 8), done: make(chan struct{})}
	g.streams.add(s)
	defer g.streams.remove(s)
	ticker := time.NewTicker(streamHeartbeat)
	defer ticker.Stop()
	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-g.shutdown:
			return
		case msg := <-s.send:
			if _, err := fmt.Fprintf(w, "event: message\ndata: %s\n\n", msg); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		case <-ticker.C:
			if !g.sessionAlive(ctx, p, sess.ID) {
				return
			}
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// sessionAlive reports whether a stream's session still exists (an error
// reading it keeps the stream).
func (g *Server) sessionAlive(ctx context.Context, p *tenant.Principal, id string) bool {
	s, err := g.sessions.MCPSessionGet(ctx, p.WorkspaceID, id)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		return true
	}
	return g.now().Sub(s.LastUsedAt) <= g.idleTimeout
}

// Package mcpserver serves the Model Context Protocol over Streamable HTTP
// at /mcp on the official Go SDK: each agent gets its own MCP server whose
// tools are the agent's tools, and every call goes through package invoke.
//
// Sessions live in the store, not in the process: any replica answers any
// request of any session (no sticky load balancing). toolgate keeps the
// session bookkeeping in front of the SDK, which it runs stateless: a
// request is checked against its stored session, then served by the SDK
// (initialize, ping, tools/list, tools/call) or by toolgate itself (MCP
// tasks, notifications, and a JSON-RPC error for anything else). A
// client's GET stream receives notifications/tools/list_changed from the
// replica that holds it, which hears of changes through the change bus.
package mcpserver

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// mcpSyncTimeout bounds refreshing the connected agents' tool lists after a
// change.
const mcpSyncTimeout = 10 * time.Second

// Config holds the parts of a Server.
type Config struct {
	Auth    httpapi.Authenticator
	Invoker *invoke.Invoker
	// Sessions stores MCP sessions where every replica reads them.
	// Required.
	Sessions store.MCPSessionStore
	// Notifier tells the other replicas that a session ended. Optional.
	Notifier changes.Notifier
	Errors   httpapi.Errors
	Logger   *slog.Logger
	// CORSOrigins are the origins of browser-based MCP clients allowed to
	// call /mcp ("*" for any). A request from another origin is refused.
	CORSOrigins []string
	// SessionIdleTimeout defaults to MCPSessionIdleTimeoutDefault.
	SessionIdleTimeout time.Duration
	// TaskTTL is how long runs (MCP tasks) are kept; 0 reports no limit.
	TaskTTL time.Duration
	// TaskPollInterval is the polling interval suggested to task clients.
	// Defaults to TaskPollIntervalDefault.
	TaskPollInterval time.Duration
	// Now is the clock of session expiry. Defaults to time.Now.
	Now func() time.Time
}

// Server is the MCP endpoint: the session bookkeeping, the stateless SDK
// handler, one MCP server per agent that has connected, and the GET
// streams open on this replica.
type Server struct {
	auth         httpapi.Authenticator
	invoker      *invoke.Invoker
	sessions     store.MCPSessionStore
	notifier     changes.Notifier
	errors       httpapi.Errors
	log          *slog.Logger
	cors         corsPolicy
	idleTimeout  time.Duration
	touchEvery   time.Duration
	taskTTL      time.Duration
	pollInterval time.Duration
	now          func() time.Time
	sdk          http.Handler

	streams  streams
	inflight inflight
	shutdown chan struct{}
	stopOnce sync.Once

	sweepMu   sync.Mutex
	lastSweep time.Time

	mu     sync.Mutex
	agents map[agentRef]*mcpAgent
}

// agentRef names an agent across workspaces.
type agentRef struct{ workspaceID, agentID string }

// mcpAgent is one agent's MCP server and the tool versions it offers.
type mcpAgent struct {
	ref    agentRef
	server *mcp.Server

	mu    sync.RWMutex
	tools map[string]*offeredTool // by name; what server offers
}

// requestKey is the request context key of the *requestContext.
type requestKey struct{}

// requestContext is what the SDK's handlers learn of a request: the key's
// principal, its session and its agent's server.
type requestContext struct {
	principal *tenant.Principal
	session   *store.MCPSession // nil while initializing
	agent     *mcpAgent
	// initialize carries a new session's ID to the initialize middleware.
	initialize string
	// cancelled ends when the client cancels the request
	// (notifications/cancelled) or its HTTP request ends. The SDK does not
	// hand its handlers a context derived from the HTTP request, so a
	// handler joins this one to its own.
	cancelled context.Context
	// requestID is the JSON-RPC ID of the single request being served
	// ("" for a batch or a notification), by which a client's
	// notifications/cancelled finds it.
	requestID string
}

// New returns the MCP endpoint.
func New(cfg Config) *Server {
	g := &Server{auth: cfg.Auth, invoker: cfg.Invoker, sessions: cfg.Sessions, notifier: cfg.Notifier, errors: cfg.Errors,
		log: cmp.Or(cfg.Logger, slog.Default()), cors: newCORS(cfg.CORSOrigins),
		idleTimeout:  cmp.Or(cfg.SessionIdleTimeout, MCPSessionIdleTimeoutDefault),
		taskTTL:      cfg.TaskTTL,
		pollInterval: cmp.Or(cfg.TaskPollInterval, TaskPollIntervalDefault),
		now:          cfg.Now, shutdown: make(chan struct{}), agents: map[agentRef]*mcpAgent{}}
	if g.now == nil {
		g.now = time.Now
	}
	// A session's last use is written at most this often.
	g.touchEvery = min(time.Minute, g.idleTimeout/30)
	g.sdk = mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		if rc, ok := r.Context().Value(requestKey{}).(*requestContext); ok {
			return rc.agent.server
		}
		return nil
	}, &mcp.StreamableHTTPOptions{
		// toolgate keeps the sessions (in the store): the SDK serves each
		// request on its own.
		Stateless: true,
		Logger:    g.log,
		// Every request must carry an agent key, which a page reaching a
		// loopback listener through DNS rebinding does not have; Origin is
		// checked by the CORS policy.
		DisableLocalhostProtection: true,
		MaxRequestBodyBytes:        maxBodyBytes,
	})
	return g
}

// Close ends the GET streams held open by this replica (call it when the
// HTTP server shuts down, so that they do not hold up draining). It is
// idempotent.
func (g *Server) Close() { g.stopOnce.Do(func() { close(g.shutdown) }) }

// Handler serves the Model Context Protocol over Streamable HTTP at /mcp.
// CORS preflights are answered first; every other request needs an agent
// key (401 without a valid key, 403 for an admin key).
func (g *Server) Handler() gin.HandlerFunc {
	return func(c *gin.Context) {
		w, r := c.Writer, c.Request
		if !g.cors.handle(w, r) {
			return
		}
		p, err := httpapi.PrincipalOf(c, g.auth)
		if err != nil {
			if httpapi.Status(err) == http.StatusUnauthorized {
				c.Header("WWW-Authenticate", `Bearer realm="toolgate"`)
			}
			g.errors.Write(c, err)
			return
		}
		if p.Role != store.RoleAgent || p.AgentID == "" {
			g.errors.Write(c, &problem.Error{Kind: problem.Forbidden,
				Message: "/mcp needs an agent key: create one with POST /v1/admin/keys and role agent"})
			return
		}
		ctx := r.Context()
		a, err := g.agent(ctx, p)
		if err != nil {
			g.errors.Write(c, err)
			return
		}
		switch r.Method {
		case http.MethodPost:
			g.servePOST(w, r, p, a)
		case http.MethodGet:
			g.serveGET(w, r, p)
		case http.MethodDelete:
			g.serveDELETE(w, r, p)
		default:
			w.Header().Set("Allow", "GET, POST, DELETE")
			writeError(w, http.StatusMethodNotAllowed, nil, &rpcError{Code: codeBadRequest, Message: "Method Not Allowed: /mcp takes GET, POST and DELETE"})
		}
	}
}

// Observe keeps this replica's MCP sessions up to date with a change made
// through any replica: the connected agents of the workspace have their
// tools brought up to date (their GET streams are told when the list
// changed), a revoked key's sessions end, and an ended session's streams
// close. Subscribe it to the change bus.
func (g *Server) Observe(c changes.Change) {
	ctx, cancel := context.WithTimeout(context.Background(), mcpSyncTimeout)
	defer cancel()
	switch {
	case c.WorkspaceID == "":
		// Changes may have been missed: anything may have changed.
		g.workspaceChanged(ctx, "")
	case c.What == changes.Tools || c.What == changes.Agents || c.What == changes.Connections:
		g.workspaceChanged(ctx, c.WorkspaceID)
	case c.What == changes.Keys && c.ID != "":
		// A revoked key: its sessions end (every replica deletes them; the
		// second delete finds nothing).
		g.streams.closeKey(c.ID)
		if _, err := g.sessions.MCPSessionDeleteByKey(ctx, c.WorkspaceID, c.ID); err != nil {
			g.log.WarnContext(ctx, "ending the MCP sessions of a revoked key", slog.Any("err", err))
		}
	case c.What == sessionEnded && c.ID != "":
		g.streams.closeSession(c.ID)
	}
}

// agent returns the agent's MCP server with its tools brought up to date
// with the catalog (which also sees changes made through other replicas).
func (g *Server) agent(ctx context.Context, p *tenant.Principal) (*mcpAgent, error) {
	ref := agentRef{p.WorkspaceID, p.AgentID}
	list, err := g.invoker.AgentTools(ctx, ref.workspaceID, ref.agentID)
	if problem.Is(err, problem.NotFound) {
		g.forget(ref)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	a := g.agents[ref]
	if a == nil {
		a = g.newAgent(ref)
		g.agents[ref] = a
	}
	g.mu.Unlock()
	if a.offers(list) {
		return a, nil
	}
	return a, g.refresh(ctx, a)
}

func (g *Server) newAgent(ref agentRef) *mcpAgent {
	server := mcp.NewServer(&mcp.Implementation{Name: "toolgate", Version: mcpServerVersion}, &mcp.ServerOptions{
		Logger: g.log,
		// Tools are added and removed as the agent changes; clients are told.
		Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{ListChanged: true}},
	})
	a := &mcpAgent{ref: ref, server: server, tools: map[string]*offeredTool{}}
	server.AddReceivingMiddleware(g.initializeMiddleware, g.listToolsMiddleware(a))
	return a
}

// mcpServerVersion is the version toolgate reports in the MCP handshake.
const mcpServerVersion = "1"

// offers reports whether the agent's server offers exactly list.
func (a *mcpAgent) offers(list []*tools.Prepared) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if len(list) != len(a.tools) {
		return false
	}
	for _, p := range list {
		if o := a.tools[p.Name]; o == nil || !o.is(p) {
			return false
		}
	}
	return true
}

// is reports whether o offers the tool version p.
func (o *offeredTool) is(p *tools.Prepared) bool {
	return o.prepared == p || (o.prepared.ToolID == p.ToolID && o.prepared.Version == p.Version && p.Version > 0)
}

// offered returns the agent's offer of a tool, nil when it has none.
func (a *mcpAgent) offered(name string) *offeredTool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.tools[name]
}

// refresh re-reads the agent's tools and applies the difference to its
// server; when the list changed, the agent's GET streams on this replica
// are told. Reading under the lock means the last refresh applies the
// newest list.
func (g *Server) refresh(ctx context.Context, a *mcpAgent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	list, err := g.invoker.AgentTools(ctx, a.ref.workspaceID, a.ref.agentID)
	if problem.Is(err, problem.NotFound) {
		list = nil // the agent is gone: offer nothing
	} else if err != nil {
		return err
	}
	want := make(map[string]*tools.Prepared, len(list))
	for _, p := range list {
		want[p.Name] = p
	}
	var gone []string
	for name := range a.tools {
		if want[name] == nil {
			gone = append(gone, name)
			delete(a.tools, name)
		}
	}
	if len(gone) > 0 {
		a.server.RemoveTools(gone...)
	}
	changed := len(gone) > 0
	for _, p := range list {
		if o := a.tools[p.Name]; o != nil && o.is(p) {
			continue
		}
		o := offer(p)
		a.server.AddTool(o.tool, g.callTool)
		a.tools[p.Name] = o
		changed = true
	}
	if changed {
		g.streams.notify(a.ref, listChanged)
	}
	return nil
}

// workspaceChanged refreshes the agents of the workspace (of every
// workspace when workspaceID is empty) that have a GET stream here.
func (g *Server) workspaceChanged(ctx context.Context, workspaceID string) {
	g.mu.Lock()
	var connected []*mcpAgent
	for ref, a := range g.agents {
		if (workspaceID == "" || ref.workspaceID == workspaceID) && g.streams.has(ref) {
			connected = append(connected, a)
		}
	}
	g.mu.Unlock()
	for _, a := range connected {
		if err := g.refresh(ctx, a); err != nil {
			g.log.ErrorContext(ctx, "refreshing MCP tools", slog.String("agent_id", a.ref.agentID), slog.Any("err", err))
		}
	}
}

// forget drops a deleted agent's server and closes its streams.
func (g *Server) forget(ref agentRef) {
	g.mu.Lock()
	delete(g.agents, ref)
	g.mu.Unlock()
	g.streams.closeAgent(ref)
}

// Package mcpserver serves the Model Context Protocol over Streamable HTTP
// at /mcp on the official Go SDK: each agent gets its own MCP server whose
// tools are the agent's tools, and every call goes through package invoke.
package mcpserver

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// MCPSessionIdleTimeoutDefault is how long an MCP session may go without a
// request from its client before it is closed and forgotten. A client
// whose session was closed gets 404 and initializes a new one.
const MCPSessionIdleTimeoutDefault = 30 * time.Minute

// mcpSyncTimeout bounds refreshing the connected agents' tool lists after a
// change.
const mcpSyncTimeout = 10 * time.Second

// Config holds the parts of a Server.
type Config struct {
	Auth    httpapi.Authenticator
	Invoker *invoke.Invoker
	Errors  httpapi.Errors
	Logger  *slog.Logger
}

// Handler serves the Model Context Protocol over Streamable HTTP at /mcp.
// Every request needs an agent key (401 without a valid key, 403 for an
// admin key); each agent gets its own MCP server whose tools are the
// agent's tools, and every call goes through the invoker.
func (g *Server) Handler() gin.HandlerFunc {
	return func(c *gin.Context) {
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
		ctx := c.Request.Context()
		a, err := g.agent(ctx, p)
		if err != nil {
			g.errors.Write(c, err)
			return
		}
		ctx = context.WithValue(ctx, mcpPrincipalKey{}, p)
		ctx = context.WithValue(ctx, mcpAgentKey{}, a)
		g.handler.ServeHTTP(c.Writer, c.Request.WithContext(ctx))
	}
}

// Observe brings the workspace's connected MCP sessions up to date after a
// change to its tools, agents or connections; the SDK sends each session
// whose list changed notifications/tools/list_changed. Agents without
// sessions are brought up to date on their next request. Subscribe it to
// the change bus.
func (g *Server) Observe(c changes.Change) {
	if !c.Affects(changes.Tools, changes.Agents, changes.Connections) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), mcpSyncTimeout)
	defer cancel()
	g.workspaceChanged(ctx, c.WorkspaceID)
}

// Server is the MCP endpoint: the Streamable HTTP handler and one MCP
// server per agent that has connected.
type Server struct {
	auth    httpapi.Authenticator
	invoker *invoke.Invoker
	errors  httpapi.Errors
	log     *slog.Logger
	handler http.Handler

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
	tools map[string]*tools.Prepared // by name; what server offers
}

type (
	mcpPrincipalKey struct{} // request context: the *tenant.Principal
	mcpAgentKey     struct{} // request context: the *mcpAgent
)

// mcpPrincipalExtra is where the principal travels in the SDK's TokenInfo.
const mcpPrincipalExtra = "toolgate.principal"

// New returns the MCP endpoint.
func New(cfg Config) *Server {
	g := &Server{auth: cfg.Auth, invoker: cfg.Invoker, errors: cfg.Errors, log: cfg.Logger, agents: map[agentRef]*mcpAgent{}}
	if g.log == nil {
		g.log = slog.Default()
	}
	streamable := mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		if a, ok := r.Context().Value(mcpAgentKey{}).(*mcpAgent); ok {
			return a.server
		}
		return nil
	}, &mcp.StreamableHTTPOptions{
		SessionTimeout: MCPSessionIdleTimeoutDefault,
		Logger:         g.log,
		// Every request must carry an agent key, which a page reaching a
		// loopback listener through DNS rebinding does not have; the check
		// would also refuse a reverse proxy on the same host.
		DisableLocalhostProtection: true,
	})
	// The SDK's bearer middleware is given the principal already resolved:
	// it binds each session to the key that opened it (a session ID sent
	// with another key is refused) and hands the principal to tool calls.
	verify := func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
		p, ok := ctx.Value(mcpPrincipalKey{}).(*tenant.Principal)
		if !ok {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{UserID: p.KeyID, Extra: map[string]any{mcpPrincipalExtra: p}}, nil
	}
	g.handler = auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(streamable)
	return g
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
	return &mcpAgent{ref: ref, server: server, tools: map[string]*tools.Prepared{}}
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
		if a.tools[p.Name] != p {
			return false
		}
	}
	return true
}

// refresh re-reads the agent's tools and applies the difference to its
// server. Reading under the lock means the last refresh applies the newest
// list.
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
	for _, p := range list {
		if a.tools[p.Name] == p {
			continue
		}
		a.server.AddTool(mcpToolOf(p), g.callTool)
		a.tools[p.Name] = p
	}
	return nil
}

// workspaceChanged refreshes the workspace's agents that have sessions
// (every workspace's when workspaceID is empty).
func (g *Server) workspaceChanged(ctx context.Context, workspaceID string) {
	g.mu.Lock()
	var connected []*mcpAgent
	for ref, a := range g.agents {
		if (workspaceID == "" || ref.workspaceID == workspaceID) && a.connected() {
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

// forget drops a deleted agent's server and closes its sessions.
func (g *Server) forget(ref agentRef) {
	g.mu.Lock()
	a := g.agents[ref]
	delete(g.agents, ref)
	g.mu.Unlock()
	if a == nil {
		return
	}
	for ss := range a.server.Sessions() {
		_ = ss.Close()
	}
}

// connected reports whether any session is open on the agent's server.
func (a *mcpAgent) connected() bool {
	for range a.server.Sessions() {
		return true
	}
	return false
}

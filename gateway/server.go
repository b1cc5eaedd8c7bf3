// Package gateway is toolgate's HTTP surface: it mounts the surfaces of its
// subpackages on one gin router. Each surface is a thin adapter over the
// use cases (packages admin, invoke, voice, flows): adminapi (the admin
// REST API), agentapi (listing and calling tools), flowapi (conversation
// flows' sessions), mcpserver (/mcp), voiceapi (voice platforms' webhooks),
// chat (the chat completions runner) and console (the admin console at
// /ui); httpapi holds what they share.
package gateway

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/gateway/adminapi"
	"github.com/toolgate/toolgate/gateway/agentapi"
	"github.com/toolgate/toolgate/gateway/apidoc"
	"github.com/toolgate/toolgate/gateway/chat"
	"github.com/toolgate/toolgate/gateway/console"
	"github.com/toolgate/toolgate/gateway/flowapi"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/gateway/mcpserver"
	"github.com/toolgate/toolgate/gateway/voiceapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/listing"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/voice"
)

// Config holds the pieces a Server is built from.
type Config struct {
	// Admin is the admin use cases. Required.
	Admin *admin.Service
	// Invoker runs tool calls. Required.
	Invoker *invoke.Invoker
	// Voice answers voice platforms. Required.
	Voice *voice.Service
	// Flows runs conversation flows' sessions. Required.
	Flows *flows.Runner
	// Listings caches tool listings. Required.
	Listings *listing.Cache
	// Client is the guarded outbound client (the chat runner's model API).
	// Required.
	Client *egress.Client
	// Metrics is gathered by GET /metrics. Optional.
	Metrics prometheus.Gatherer
	// MetricsPublic serves /metrics without a key.
	MetricsPublic bool
	// PublicURL is where people and platforms reach the gateway, used in
	// exported tool definitions. Defaults to the request's own host.
	PublicURL string
	// Ready reports whether the gateway can serve (the store answers with
	// its migrations applied), for GET /readyz. Required.
	Ready func(context.Context) error
	// TracerProvider makes a server span per request. Optional: nil makes
	// none.
	TracerProvider trace.TracerProvider
	// Logger receives request failures and the access log. Defaults to
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// MCPSessions stores MCP sessions. Required.
	MCPSessions store.MCPSessionStore
	// Changes tells the other replicas of changes made here (an MCP
	// session that ended). Optional.
	Changes changes.Notifier
	// CORSOrigins are the origins of browser-based MCP clients allowed to
	// call /mcp ("*" for any).
	CORSOrigins []string
	// RunRetention is how long runs are kept (MCP tasks report it as
	// their ttl); 0 for no limit.
	RunRetention time.Duration
}

// Server is toolgate's HTTP surface.
type Server struct {
	router *gin.Engine
	// MCP is the /mcp endpoint; subscribe its Observe to the change bus.
	MCP *mcpserver.Server
}

// New builds a Server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Admin == nil || cfg.Invoker == nil || cfg.Voice == nil || cfg.Flows == nil || cfg.Listings == nil || cfg.Client == nil ||
		cfg.Ready == nil || cfg.MCPSessions == nil {
		return nil, errors.New("gateway: Config.Admin, Invoker, Voice, Flows, Listings, Client, Ready and MCPSessions are required")
	}
	log := cmp.Or(cfg.Logger, slog.Default())
	errs := httpapi.Errors{Log: log}
	auth := cfg.Admin.Keys

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	if cfg.TracerProvider != nil {
		r.Use(httpapi.Trace(cfg.TracerProvider))
	}
	r.Use(httpapi.AccessLog(log), errs.Recoverer())
	r.NoRoute(errs.Handle(func(*gin.Context) error { return problem.NotFoundf("route") }))
	r.NoMethod(httpapi.MethodNotAllowed)
	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz(cfg.Ready, log))
	r.GET("/metrics", metricsHandlers(cfg.Metrics, cfg.MetricsPublic, auth, errs)...)

	adminAPI := &adminapi.API{Admin: cfg.Admin, Errors: errs}
	voiceAPI := &voiceapi.API{Voice: cfg.Voice, PublicURL: cfg.PublicURL, Errors: errs, Now: cfg.Now}
	adminGroup := r.Group("/v1/admin", httpapi.RequireRole(auth, store.RoleAdmin, errs))
	adminAPI.Routes(adminGroup)
	voiceAPI.AdminRoutes(adminGroup)
	r.GET("/v1/oauth/callback", adminAPI.OAuthCallback)

	agentGroup := r.Group("/v1", httpapi.RequireRole(auth, store.RoleAgent, errs))
	(&agentapi.API{Invoker: cfg.Invoker, Listings: cfg.Listings, Errors: errs}).Routes(agentGroup)
	(&chat.Runner{Invoker: cfg.Invoker, Listings: cfg.Listings, Client: cfg.Client, Errors: errs, Now: cfg.Now}).Routes(agentGroup)
	(&flowapi.API{Runner: cfg.Flows, Errors: errs}).Routes(agentGroup)
	mcp := mcpserver.New(mcpserver.Config{Auth: auth, Invoker: cfg.Invoker, Sessions: cfg.MCPSessions, Notifier: cfg.Changes,
		Errors: errs, Logger: log, CORSOrigins: cfg.CORSOrigins, TaskTTL: cfg.RunRetention, Now: cfg.Now})
	// The methods of MCP's Streamable HTTP transport, and the CORS
	// preflight; others are 405.
	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete, http.MethodOptions} {
		r.Handle(method, "/mcp", mcp.Handler())
	}
	// toolgate's own descriptions, without a key.
	apidoc.Routes(r)

	// Voice platforms authenticate with their own mechanisms.
	voiceAPI.Routes(r)

	(&console.Console{Admin: cfg.Admin, PublicURL: cfg.PublicURL, Log: log, Now: cfg.Now}).Routes(r)
	return &Server{router: r, MCP: mcp}, nil
}

// Routes lists the method and path of every route the server registers,
// as gin writes them (/v1/admin/tools/:id).
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.router.Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.router }

// metricsHandlers serve Prometheus metrics: publicly when configured,
// otherwise to admin keys.
func metricsHandlers(metrics prometheus.Gatherer, public bool, auth httpapi.Authenticator, errs httpapi.Errors) []gin.HandlerFunc {
	if metrics == nil {
		return []gin.HandlerFunc{errs.Handle(func(*gin.Context) error { return problem.NotFoundf("route") })}
	}
	h := promhttp.HandlerFor(metrics, promhttp.HandlerOpts{})
	serve := func(c *gin.Context) { h.ServeHTTP(c.Writer, c.Request) }
	if public {
		return []gin.HandlerFunc{serve}
	}
	return []gin.HandlerFunc{httpapi.RequireRole(auth, store.RoleAdmin, errs), serve}
}

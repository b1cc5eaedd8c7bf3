package gateway

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Config holds the pieces a Server is built from.
type Config struct {
	// Store persists everything. Required.
	Store store.Store
	// Box seals secrets at rest. Required.
	Box *secrets.Box
	// Engine runs tool calls. Required.
	Engine *tools.Engine
	// Queue runs background calls. Without it, background tools run in
	// the foreground.
	Queue Submitter
	// Catalog resolves agents' tools. Defaults to a new catalog over Store.
	Catalog *tools.Catalog
	// OAuth runs the OAuth2 flows of connections (authorize, callback,
	// refresh, forget). Optional: without it those routes answer 501. Pass
	// the same Manager as the engine's tools.EngineConfig.Tokens.
	OAuth *oauth.Manager
	// Metrics is gathered by GET /metrics. Optional.
	Metrics prometheus.Gatherer
	// MetricsPublic serves /metrics without a key.
	MetricsPublic bool
	// PublicURL is where people and platforms reach the gateway, used in
	// exported tool definitions. Defaults to the request's own host.
	PublicURL string
	// Logger receives request failures. Defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// Server is toolgate's HTTP surface.
type Server struct {
	store         store.Store
	box           *secrets.Box
	engine        *tools.Engine
	catalog       *tools.Catalog
	oauth         *oauth.Manager
	metrics       prometheus.Gatherer
	metricsPublic bool
	publicURL     string
	queue         Submitter
	idempotency   keyedLocks
	keys          keyCache
	retellSeen    replayGuard
	listings      *listingCache
	mcp           *mcpGateway // set by mcpHandler while routes are built
	log           *slog.Logger
	now           func() time.Time
	router        *gin.Engine
}

// New builds a Server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("gateway: Config.Store is required")
	}
	if cfg.Box == nil {
		return nil, errors.New("gateway: Config.Box is required")
	}
	if cfg.Engine == nil {
		return nil, errors.New("gateway: Config.Engine is required")
	}
	s := &Server{
		store:         cfg.Store,
		box:           cfg.Box,
		engine:        cfg.Engine,
		catalog:       cfg.Catalog,
		oauth:         cfg.OAuth,
		metrics:       cfg.Metrics,
		metricsPublic: cfg.MetricsPublic,
		publicURL:     strings.TrimSuffix(cfg.PublicURL, "/"),
		queue:         cfg.Queue,
		log:           cmp.Or(cfg.Logger, slog.Default()),
		now:           cfg.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.catalog == nil {
		s.catalog = tools.NewCatalog(tools.CatalogConfig{Store: cfg.Store, Box: cfg.Box, Now: s.now})
	}
	s.listings = newListingCache()
	s.router = s.routes()
	return s, nil
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.router }

func (s *Server) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(s.recoverer())
	r.NoRoute(s.handle(func(*gin.Context) error { return notFound("route") }))
	r.NoMethod(s.handle(func(*gin.Context) error {
		return &HTTPError{Status: http.StatusMethodNotAllowed, Type: ErrTypeMethodNotAllowed, Message: "method not allowed"}
	}))

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/metrics", s.metricsHandlers()...)

	admin := r.Group("/v1/admin", s.authenticate(store.RoleAdmin))
	admin.GET("/workspace", s.handle(s.getWorkspace))
	admin.POST("/keys", s.handle(s.createKey))
	admin.GET("/keys", s.handle(s.listKeys))
	admin.DELETE("/keys/:id", s.handle(s.revokeKey))

	admin.POST("/connections/:id/oauth/authorize", s.handle(s.oauthAuthorize))
	admin.POST("/connections/:id/oauth/refresh", s.handle(s.oauthRefresh))
	admin.DELETE("/connections/:id/oauth", s.handle(s.oauthForget))
	r.GET("/v1/oauth/callback", s.oauthCallback)
	admin.POST("/connections", s.handle(s.createConnection))
	admin.GET("/connections", s.handle(s.listConnections))
	admin.GET("/connections/:id", s.handle(s.getConnection))
	admin.PATCH("/connections/:id", s.handle(s.patchConnection))
	admin.DELETE("/connections/:id", s.handle(s.deleteConnection))

	admin.POST("/tools", s.handle(s.createTool))
	admin.GET("/tools", s.handle(s.listTools))
	admin.GET("/tools/:id", s.handle(s.getTool))
	admin.PATCH("/tools/:id", s.handle(s.patchTool))
	admin.DELETE("/tools/:id", s.handle(s.deleteTool))
	admin.POST("/tools/:id/validate", s.handle(s.validateTool))
	admin.POST("/tools/:id/publish", s.handle(s.publishTool))
	admin.GET("/tools/:id/versions", s.handle(s.listToolVersions))

	admin.POST("/agents", s.handle(s.createAgent))
	admin.GET("/agents", s.handle(s.listAgents))
	admin.GET("/agents/:id", s.handle(s.getAgent))
	admin.PATCH("/agents/:id", s.handle(s.patchAgent))
	admin.DELETE("/agents/:id", s.handle(s.deleteAgent))
	admin.GET("/agents/:id/export/:platform", s.handle(s.exportAgent))

	admin.GET("/runs", s.handle(s.listRuns))
	admin.GET("/runs/:id", s.handle(s.getRun))
	admin.POST("/runs/:id/replay", s.handle(s.replayRun))
	admin.POST("/tools/:id/test", s.handle(s.testTool))

	agent := r.Group("/v1", s.authenticate(store.RoleAgent))
	agent.GET("/tools", s.handle(s.listAgentTools))
	agent.POST("/tools/:name/call", s.handle(s.callTool))
	agent.GET("/runs/:id", s.handle(s.getAgentRun))
	agent.POST("/tool-calls", s.handle(s.batchToolCalls))
	agent.POST("/chat/completions", s.handle(s.chatCompletions))
	r.Any("/mcp", s.mcpHandler())

	// Voice platforms authenticate with their own mechanisms.
	r.POST("/v1/adapters/vapi/:agent_id", s.handle(s.vapiAdapter))
	r.POST("/v1/adapters/retell/:agent_id", s.handle(s.retellAdapter))
	r.POST("/v1/adapters/elevenlabs/:agent_id/:tool_name", s.handle(s.elevenLabsAdapter))

	s.uiRoutes(r)
	return r
}

// recoverer turns a panic into a logged 500 in the API's error shape.
func (s *Server) recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(c.Request.Context(), "panic serving request", slog.String("path", c.Request.URL.Path), slog.Any("panic", v))
				s.writeError(c, &HTTPError{Status: http.StatusInternalServerError, Type: ErrTypeInternal, Message: "internal error"})
			}
		}()
		c.Next()
	}
}

// Package store defines toolgate's persistence: one Store interface, its row
// types and sentinel errors. store/sqlite (the embedded default) and
// store/postgres implement it; store/storetest is the suite both pass.
//
// Every method that reads or writes a workspace's objects takes the workspace
// ID and scopes its query by it: an object of another workspace is
// ErrNotFound, never visible.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors returned by every Store implementation.
var (
	// ErrNotFound means no row matched (within the given workspace).
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness constraint (such as a name per
	// workspace) would be violated.
	ErrConflict = errors.New("conflict")
	// ErrMigrationsPending means the database lacks a migration this
	// version of toolgate needs (Ping).
	ErrMigrationsPending = errors.New("database migrations pending")
)

// Roles of an API key.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// Tool statuses.
const (
	ToolStatusDraft     = "draft"
	ToolStatusPublished = "published"
)

// Run statuses.
const (
	RunStatusQueued    = "queued"
	RunStatusRunning   = "running"
	RunStatusSucceeded = "succeeded"
	RunStatusFailed    = "failed"
)

// ListLimitDefault is the page size when ListParams.Limit is zero.
const (
	ListLimitDefault = 50
	ListLimitMax     = 500
)

// ListParams pages through a list ordered by ID. Cursor is the ID of the last
// item of the previous page ("" for the first page).
type ListParams struct {
	Limit  int
	Cursor string
}

// EffectiveLimit returns Limit clamped to [1, ListLimitMax], defaulting to
// ListLimitDefault.
func (p ListParams) EffectiveLimit() int {
	switch {
	case p.Limit <= 0:
		return ListLimitDefault
	case p.Limit > ListLimitMax:
		return ListLimitMax
	}
	return p.Limit
}

// Workspace is a tenant. Every other object belongs to exactly one.
type Workspace struct {
	ID   string
	Name string
	// SigningSecret is the encrypted per-workspace secret used to sign
	// callbacks (sealed with the gateway's secret key).
	SigningSecret []byte
	CreatedAt     time.Time
}

// APIKey is a hashed bearer key. The plaintext is never stored.
type APIKey struct {
	ID          string
	WorkspaceID string
	Name        string
	Role        string // RoleAdmin or RoleAgent
	AgentID     string // set for RoleAgent
	Prefix      string // the first characters of the key, for display
	Hash        []byte // SHA-256 of the full key
	CreatedAt   time.Time
	RevokedAt   *time.Time
}

// Connection is a saved integration: base URL, public config, auth settings
// and encrypted secrets.
type Connection struct {
	ID          string
	WorkspaceID string
	Name        string
	BaseURL     string
	Headers     map[string]string
	Config      json.RawMessage // object of public values, {{conn.x}}
	Auth        json.RawMessage // object: {"type": ..., ...}
	Secrets     []byte          // sealed JSON object of secret values
	// Limits is the JSON array of the connection's rate and concurrency
	// limits (tools.Limit), nil when none.
	Limits    json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Tool is the mutable draft of a tool plus its publication state.
type Tool struct {
	ID          string
	WorkspaceID string
	Name        string
	// Definition is the draft: the JSON of tools.Definition.
	Definition json.RawMessage
	// Status is ToolStatusDraft until the first publish.
	Status string
	// Version is the latest published version (0 when never published).
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PublishedAt *time.Time
}

// ToolVersion is an immutable published version of a tool.
type ToolVersion struct {
	ToolID      string
	WorkspaceID string
	Version     int
	Name        string
	Definition  json.RawMessage
	PublishedAt time.Time
}

// AgentTool activates a tool for an agent, optionally pinned to a version
// (0 means the latest published version).
type AgentTool struct {
	Name    string `json:"name"`
	Version int    `json:"version,omitempty"`
}

// Agent is a consumer of tools: voice bot, chat bot or framework.
type Agent struct {
	ID           string
	WorkspaceID  string
	Name         string
	Instructions string
	Tools        []AgentTool
	// Model holds optional model settings for the built-in agent runner.
	Model json.RawMessage
	// Adapters is the sealed JSON of the agent's voice-platform adapter
	// settings (secrets included), nil when none.
	Adapters  []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Run is one execution of a tool version. The JSON fields hold already
// redacted documents: nothing secret is ever handed to the store. Its ID
// carries its creation time (NewIDAt(CreatedAt), within IDSlack), which
// RunList's time filters rely on.
type Run struct {
	ID             string
	WorkspaceID    string
	ToolID         string
	ToolName       string
	ToolVersion    int
	AgentID        string
	ConversationID string
	Status         string
	Outcome        string
	StatusCode     int
	Error          string
	DurationMS     float64
	Context        json.RawMessage
	Arguments      json.RawMessage
	Request        json.RawMessage
	Response       json.RawMessage
	Result         json.RawMessage // the shaped result given to the model
	Truncated      bool
	Timings        json.RawMessage
	Attempts       json.RawMessage
	// CacheHit is set when the result came from the response cache:
	// nothing was sent upstream.
	CacheHit       bool
	IdempotencyKey string
	ReplayOf       string
	CreatedAt      time.Time
	FinishedAt     *time.Time
}

// RunListParams filters and pages runs, newest first. Empty fields do not
// filter. Cursor is the ID of the last run of the previous page.
type RunListParams struct {
	ListParams
	Tool           string
	AgentID        string
	Outcome        string
	Status         string
	ConversationID string
	Since          time.Time
	Until          time.Time
}

// Store is toolgate's persistence. Implementations are safe for concurrent
// use.
type Store interface {
	// Workspaces.
	WorkspaceInsert(ctx context.Context, ws *Workspace) error
	WorkspaceGet(ctx context.Context, id string) (*Workspace, error)
	WorkspaceGetByName(ctx context.Context, name string) (*Workspace, error)
	WorkspaceList(ctx context.Context) ([]*Workspace, error)

	// API keys. APIKeyGetByHash is the one unscoped lookup: it is how a
	// request learns its workspace. It returns ErrNotFound for revoked keys.
	APIKeyInsert(ctx context.Context, key *APIKey) error
	APIKeyGetByHash(ctx context.Context, hash []byte) (*APIKey, error)
	APIKeyList(ctx context.Context, workspaceID string, p ListParams) ([]*APIKey, error)
	APIKeyRevoke(ctx context.Context, workspaceID, id string, at time.Time) error
	// APIKeyCount counts the unrevoked keys of all workspaces.
	APIKeyCount(ctx context.Context) (int, error)

	// Connections.
	ConnectionInsert(ctx context.Context, c *Connection) error
	ConnectionGet(ctx context.Context, workspaceID, id string) (*Connection, error)
	ConnectionGetByName(ctx context.Context, workspaceID, name string) (*Connection, error)
	ConnectionList(ctx context.Context, workspaceID string, p ListParams) ([]*Connection, error)
	// ConnectionUpdate replaces every mutable field of the row with c's.
	ConnectionUpdate(ctx context.Context, c *Connection) error
	ConnectionDelete(ctx context.Context, workspaceID, id string) error

	// Tools.
	ToolInsert(ctx context.Context, t *Tool) error
	ToolGet(ctx context.Context, workspaceID, id string) (*Tool, error)
	ToolGetByName(ctx context.Context, workspaceID, name string) (*Tool, error)
	ToolList(ctx context.Context, workspaceID string, p ListParams) ([]*Tool, error)
	// ToolUpdate replaces the draft (Name, Definition, UpdatedAt).
	ToolUpdate(ctx context.Context, t *Tool) error
	ToolDelete(ctx context.Context, workspaceID, id string) error
	// ToolPublish atomically stores the tool's current draft as version
	// latest+1, marks the tool published and returns the new version.
	ToolPublish(ctx context.Context, workspaceID, id string, at time.Time) (*ToolVersion, error)
	ToolVersionGet(ctx context.Context, workspaceID, toolID string, version int) (*ToolVersion, error)
	ToolVersionList(ctx context.Context, workspaceID, toolID string) ([]*ToolVersion, error)
	ToolBatchStore
	ToolVersionListingStore

	// Agents.
	AgentInsert(ctx context.Context, a *Agent) error
	AgentGet(ctx context.Context, workspaceID, id string) (*Agent, error)
	// AgentGetUnscoped returns the agent with the given ID in whichever
	// workspace holds it. It is how a voice-platform webhook, which carries
	// no key, learns its workspace (agent IDs are globally unique); the
	// caller must then authenticate the request with the agent's own
	// adapter secret before acting on it.
	AgentGetUnscoped(ctx context.Context, id string) (*Agent, error)
	AgentList(ctx context.Context, workspaceID string, p ListParams) ([]*Agent, error)
	// AgentUpdate replaces every mutable field of the row with a's.
	AgentUpdate(ctx context.Context, a *Agent) error
	AgentDelete(ctx context.Context, workspaceID, id string) error

	// Runs. RunInsertBatch writes many runs in one transaction (the run
	// recorder's path); a run whose ID exists is replaced.
	RunInsertBatch(ctx context.Context, runs []*Run) error
	RunGet(ctx context.Context, workspaceID, id string) (*Run, error)
	RunList(ctx context.Context, workspaceID string, p RunListParams) ([]*Run, error)
	// RunDeleteBefore deletes runs created before t in every workspace and
	// returns how many went.
	RunDeleteBefore(ctx context.Context, t time.Time) (int, error)

	OAuthStore
	SessionStore
	RunStatsStore
	GuardStore
	GuardrailStore
	FlowStore

	// Ping reports whether the store can serve: the database answers and
	// has every migration this version needs applied (ErrMigrationsPending
	// otherwise). It is cheap enough for a load balancer's readiness probe.
	Ping(ctx context.Context) error
	MCPSessionStore
	Close() error
}

// OAuth token statuses.
const (
	OAuthStatusConnected   = "connected"
	OAuthStatusNeedsReauth = "needs_reauth"
)

// OAuthToken is the OAuth2 token state of a connection. Token values are
// sealed by the caller; the store never sees them in plaintext.
type OAuthToken struct {
	WorkspaceID  string
	ConnectionID string
	AccessToken  []byte // sealed
	RefreshToken []byte // sealed; nil when the provider gave none
	TokenType    string
	Expiry       *time.Time
	Scopes       string // space-separated, as granted
	Status       string // OAuthStatusConnected or OAuthStatusNeedsReauth
	LastError    string
	// LastRefreshedAt is when a token endpoint last issued a token.
	LastRefreshedAt *time.Time
	// Version increases with every write; refreshes compare it to learn
	// whether another replica refreshed first.
	Version   int64
	UpdatedAt time.Time
}

// OAuthState is a pending authorization-code flow, keyed by the SHA-256 (hex)
// of the state parameter, valid until ExpiresAt and usable once.
type OAuthState struct {
	StateHash    string
	WorkspaceID  string
	ConnectionID string
	CodeVerifier []byte // sealed PKCE verifier
	RedirectURL  string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// Session is a signed-in admin console session, keyed by the SHA-256 (hex) of
// the session cookie's value.
type Session struct {
	IDHash      string
	WorkspaceID string
	KeyID       string // the admin key used to sign in
	CSRFToken   string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// OAuthStore persists OAuth2 token state and pending authorizations. Every
// Store implements it.
type OAuthStore interface {
	OAuthTokenGet(ctx context.Context, workspaceID, connectionID string) (*OAuthToken, error)
	// OAuthTokenPut writes a connection's token state (insert or replace),
	// setting t.Version to the stored version.
	OAuthTokenPut(ctx context.Context, t *OAuthToken) error
	OAuthTokenDelete(ctx context.Context, workspaceID, connectionID string) error
	// OAuthTokenUpdate runs fn with the current token state (nil when there
	// is none) while holding an exclusive lock on it that every replica
	// sharing the database respects, and stores fn's result (unless nil) with
	// the next version. It returns what is stored after it. fn may make
	// network calls; other refreshes of the same connection wait for it.
	OAuthTokenUpdate(ctx context.Context, workspaceID, connectionID string, fn func(current *OAuthToken) (*OAuthToken, error)) (*OAuthToken, error)

	OAuthStateInsert(ctx context.Context, s *OAuthState) error
	// OAuthStateConsume deletes and returns a state; ErrNotFound when it does
	// not exist or expired before now.
	OAuthStateConsume(ctx context.Context, stateHash string, now time.Time) (*OAuthState, error)
}

// SessionStore persists admin console sessions. Every Store implements it.
type SessionStore interface {
	SessionInsert(ctx context.Context, s *Session) error
	// SessionGet returns an unexpired session (unscoped: it is how a
	// request learns its workspace); ErrNotFound otherwise.
	SessionGet(ctx context.Context, idHash string, now time.Time) (*Session, error)
	SessionDelete(ctx context.Context, idHash string) error
	SessionDeleteExpired(ctx context.Context, now time.Time) (int, error)
	// SessionDeleteByKey ends every session of a workspace signed in with
	// the key (when the key is revoked) and returns how many went.
	SessionDeleteByKey(ctx context.Context, workspaceID, keyID string) (int, error)
}

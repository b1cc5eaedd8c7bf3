package oauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Defaults applied by [Config.WithDefaults].
const (
	// SkewDefault is how long before its expiry a token is refreshed.
	SkewDefault = 60 * time.Second
	// CacheTTLDefault is how long a token read from the store is used from
	// memory before the store is consulted again (so a token forgotten or
	// re-authorized through another replica is seen within it).
	CacheTTLDefault = 5 * time.Second
	// TokenTimeoutDefault bounds obtaining one token, retries included.
	TokenTimeoutDefault = 30 * time.Second
	// MaxAttemptsDefault is how many times one token request is tried when
	// the endpoint answers 5xx or cannot be reached.
	MaxAttemptsDefault = 3
	// BackoffDefault is the wait before the second attempt; it doubles
	// after each further failure.
	BackoffDefault = 250 * time.Millisecond
)

// StateTTL is how long an authorization started by an admin may take to
// come back to the callback.
const StateTTL = 10 * time.Minute

// CallbackPath is where authorization servers send the admin back.
const CallbackPath = "/v1/oauth/callback"

// Store is what a Manager needs from the store.
type Store interface {
	store.OAuthStore
	ConnectionGet(ctx context.Context, workspaceID, id string) (*store.Connection, error)
}

// Config holds a Manager's parts and settings.
type Config struct {
	// Store holds tokens, pending authorizations and connections. Required.
	Store Store
	// Box seals tokens and PKCE verifiers. Required.
	Box *secrets.Box
	// HTTPClient sends token requests. Pass the egress client's
	// HTTPClient so the SSRF guard applies. Defaults to a guarded client
	// with no allow-list.
	HTTPClient *http.Client
	// PublicURL is the gateway's external base URL; the redirect URL of an
	// authorization-code connection without its own redirect_url is
	// PublicURL + CallbackPath.
	PublicURL string
	// Skew is how long before expiry a token is refreshed. Defaults to
	// SkewDefault (60s).
	Skew time.Duration
	// CacheTTL bounds how long a token is served from memory without
	// reading the store. Defaults to CacheTTLDefault (5s).
	CacheTTL time.Duration
	// TokenTimeout bounds obtaining one token, retries included. Defaults
	// to TokenTimeoutDefault (30s).
	TokenTimeout time.Duration
	// MaxAttempts bounds tries of one token request on 5xx and network
	// failures. Defaults to MaxAttemptsDefault (3).
	MaxAttempts int
	// Backoff is the first wait between tries. Defaults to BackoffDefault.
	Backoff time.Duration
	// Logger receives refresh failures (never token values). Defaults to
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock that decides expiry. Defaults to time.Now.
	Now func() time.Time
}

// WithDefaults returns a copy of c with every unset field set to its default.
func (c Config) WithDefaults() Config {
	c.Skew = cmp.Or(c.Skew, SkewDefault)
	c.CacheTTL = cmp.Or(c.CacheTTL, CacheTTLDefault)
	c.TokenTimeout = cmp.Or(c.TokenTimeout, TokenTimeoutDefault)
	c.MaxAttempts = cmp.Or(c.MaxAttempts, MaxAttemptsDefault)
	c.Backoff = cmp.Or(c.Backoff, BackoffDefault)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = egress.New(egress.Config{}).HTTPClient()
	}
	return c
}

// Validate reports the first invalid field of c, by name.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("oauth: Store is required")
	case c.Box == nil:
		return errors.New("oauth: Box is required")
	case c.Skew < 0:
		return errors.New("oauth: Skew must not be negative")
	case c.CacheTTL < 0:
		return errors.New("oauth: CacheTTL must not be negative")
	case c.TokenTimeout < 0:
		return errors.New("oauth: TokenTimeout must not be negative")
	case c.MaxAttempts < 0:
		return errors.New("oauth: MaxAttempts must not be negative")
	case c.Backoff < 0:
		return errors.New("oauth: Backoff must not be negative")
	}
	return nil
}

// Manager obtains, caches, refreshes and stores OAuth2 tokens of
// connections. It implements tools.TokenSource and is safe for concurrent
// use.
type Manager struct {
	cfg     Config
	store   Store
	box     *secrets.Box
	now     func() time.Time
	log     *slog.Logger
	flights singleflight.Group
	// refreshing bounds the refreshes this process runs at once: each holds
	// a database lock (and, on PostgreSQL, a pooled connection) while it
	// waits on a provider, so a slow provider must not take them all.
	refreshing chan struct{}

	mu    sync.Mutex
	cache map[string]cachedToken
}

var _ tools.TokenSource = (*Manager)(nil)

// cachedToken is an access token held in memory.
type cachedToken struct {
	access  string
	expiry  *time.Time
	fetched time.Time
}

// New returns a Manager for cfg (after WithDefaults).
func New(cfg Config) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	return &Manager{cfg: cfg, store: cfg.Store, box: cfg.Box, now: cfg.Now, log: cfg.Logger,
		cache: map[string]cachedToken{}, refreshing: make(chan struct{}, ConcurrentRefreshesDefault)}, nil
}

// ConcurrentRefreshesDefault bounds the refreshes one process runs at once.
const ConcurrentRefreshesDefault = 8

func cacheKey(workspaceID, connectionID string) string { return workspaceID + "\x00" + connectionID }

// Token returns a usable access token for the connection: from memory or
// the store while it is fresh, otherwise after one refresh shared by every
// concurrent caller (and, through the store's lock, every replica).
// rejected, after the upstream refused that token (401), asks for another:
// a refresh happens only if the stored token is still the refused one.
func (m *Manager) Token(ctx context.Context, workspaceID string, conn *tools.Connection, rejected string) (string, error) {
	if !conn.Auth.IsOAuth2() {
		return "", fmt.Errorf("connection %s: %w", conn.Name, ErrNotOAuth)
	}
	key := cacheKey(workspaceID, conn.ID)
	m.mu.Lock()
	entry, cached := m.cache[key]
	m.mu.Unlock()
	if cached && m.usable(entry) && entry.access != rejected {
		// Valid, and not the token the upstream refused (which another
		// caller may already have replaced).
		return entry.access, nil
	}
	flight, mode := key+"\x00get", refreshIfStale
	if rejected != "" {
		// One refresh per refused token: callers that all sent it share it.
		flight, mode = key+"\x00rejected\x00"+rejected, refreshUnlessReplaced
	}
	ch := m.flights.DoChan(flight, func() (any, error) {
		// The refresh outlives any one caller: the others wait for it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.TokenTimeout)
		defer cancel()
		return m.obtain(fctx, workspaceID, conn, mode, rejected)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// usable reports whether a cached token may be used without the store.
func (m *Manager) usable(e cachedToken) bool {
	now := m.now()
	return now.Before(e.fetched.Add(m.cfg.CacheTTL)) && m.freshAt(e.expiry, now)
}

// fresh reports whether a stored token is connected and not due for refresh.
func (m *Manager) fresh(t *store.OAuthToken) bool {
	return t != nil && t.Status == store.OAuthStatusConnected && len(t.AccessToken) > 0 && m.freshAt(t.Expiry, m.now())
}

func (m *Manager) freshAt(expiry *time.Time, now time.Time) bool {
	return expiry == nil || now.Before(expiry.Add(-m.cfg.Skew))
}

// obtain reads the stored token and refreshes it when it is stale.
func (m *Manager) obtain(ctx context.Context, workspaceID string, conn *tools.Connection, mode refreshMode, rejected string) (string, error) {
	if mode == refreshIfStale {
		cur, err := m.store.OAuthTokenGet(ctx, workspaceID, conn.ID)
		switch {
		case err == nil:
			if cur.Status == store.OAuthStatusNeedsReauth {
				return "", needsReauth(conn, cur.LastError)
			}
			if m.fresh(cur) {
				return m.use(workspaceID, conn.ID, cur)
			}
		case errors.Is(err, store.ErrNotFound):
			if conn.Auth.Type == tools.AuthOAuth2AuthorizationCode {
				return "", notConnected(conn)
			}
		default:
			return "", err
		}
	}
	stored, err := m.refresh(ctx, workspaceID, conn, mode, rejected)
	if err != nil {
		return "", err
	}
	return m.use(workspaceID, conn.ID, stored)
}

// use opens a stored access token and caches it.
func (m *Manager) use(workspaceID, connectionID string, t *store.OAuthToken) (string, error) {
	plain, err := m.box.Open(t.AccessToken, accessAAD(workspaceID, connectionID))
	if err != nil {
		return "", fmt.Errorf("opening the access token of connection %s: %w", connectionID, err)
	}
	access := string(plain)
	m.mu.Lock()
	m.cache[cacheKey(workspaceID, connectionID)] = cachedToken{access: access, expiry: t.Expiry, fetched: m.now()}
	m.mu.Unlock()
	return access, nil
}

// forget drops a connection's cached token.
func (m *Manager) forget(workspaceID, connectionID string) {
	m.mu.Lock()
	delete(m.cache, cacheKey(workspaceID, connectionID))
	m.mu.Unlock()
}

func needsReauth(conn *tools.Connection, lastError string) error {
	if lastError != "" {
		return fmt.Errorf("connection %s: %w (%s)", conn.Name, ErrNeedsReauth, lastError)
	}
	return fmt.Errorf("connection %s: %w", conn.Name, ErrNeedsReauth)
}

func notConnected(conn *tools.Connection) error {
	return fmt.Errorf("connection %s: %w (POST /v1/admin/connections/%s/oauth/authorize)", conn.Name, ErrNotConnected, conn.ID)
}

// Associated data binding sealed values to their workspace, connection and
// role.
func accessAAD(workspaceID, connectionID string) []byte {
	return []byte("oauth_token:" + workspaceID + "/" + connectionID + ":access")
}

func refreshAAD(workspaceID, connectionID string) []byte {
	return []byte("oauth_token:" + workspaceID + "/" + connectionID + ":refresh")
}

func verifierAAD(s *store.OAuthState) []byte {
	return []byte("oauth_state:" + s.WorkspaceID + "/" + s.ConnectionID + ":" + s.StateHash)
}

// scopesOf splits a space-separated scope list.
func scopesOf(s string) []string {
	f := strings.Fields(s)
	if f == nil {
		return []string{}
	}
	return f
}

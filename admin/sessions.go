package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
)

// SessionTTL is how long a console session lasts.
const SessionTTL = 12 * time.Hour

// Sessions are the admin console's sign-ins: server-side sessions started
// with an admin key, ended by sign-out, expiry or the key's revocation.
type Sessions struct {
	d    *deps
	keys *Keys
}

// Session is a live console session.
type Session struct {
	// Principal is the admin the session acts as.
	Principal *tenant.Principal
	// IDHash identifies the session in the store.
	IDHash string
	// CSRFToken must accompany every change made through the session.
	CSRFToken string
	ExpiresAt time.Time
}

// ErrAgentKeySignIn refuses an agent key at the console.
var ErrAgentKeySignIn = &problem.Error{Kind: problem.Forbidden,
	Message: "agent keys cannot sign in to the console: use an admin key"}

// RandomToken returns 32 random bytes, base64url-encoded: session cookies,
// CSRF tokens.
func RandomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sessionHash is how a session cookie's value is stored: SHA-256, hex.
func sessionHash(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// SignIn checks an admin key exactly as the API does and starts a session.
// It returns the cookie value (shown to the browser once) and the session.
// A key that is not a live key is ErrUnauthorized; an agent key
// ErrAgentKeySignIn.
func (s *Sessions) SignIn(ctx context.Context, key string) (cookie string, sess *Session, err error) {
	p, err := s.keys.Authenticate(ctx, key)
	if err != nil {
		return "", nil, err
	}
	if p.Role != store.RoleAdmin {
		return "", nil, ErrAgentKeySignIn
	}
	value := RandomToken()
	now := s.d.now().UTC()
	row := &store.Session{IDHash: sessionHash(value), WorkspaceID: p.WorkspaceID, KeyID: p.KeyID,
		CSRFToken: RandomToken(), CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if err := s.d.store.SessionInsert(ctx, row); err != nil {
		return "", nil, err
	}
	if _, err := s.d.store.SessionDeleteExpired(ctx, now); err != nil {
		s.d.log.WarnContext(ctx, "deleting expired console sessions", "err", err)
	}
	return value, sessionOf(row), nil
}

// Get returns the live session of a cookie value, or nil when there is
// none (expired, signed out, revoked).
func (s *Sessions) Get(ctx context.Context, cookie string) (*Session, error) {
	if cookie == "" {
		return nil, nil
	}
	row, err := s.d.store.SessionGet(ctx, sessionHash(cookie), s.d.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return sessionOf(row), nil
}

// SignOut ends a session.
func (s *Sessions) SignOut(ctx context.Context, sess *Session) error {
	if err := s.d.store.SessionDelete(ctx, sess.IDHash); err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

func sessionOf(row *store.Session) *Session {
	return &Session{
		Principal: &tenant.Principal{WorkspaceID: row.WorkspaceID, KeyID: row.KeyID, Role: store.RoleAdmin},
		IDHash:    row.IDHash, CSRFToken: row.CSRFToken, ExpiresAt: row.ExpiresAt,
	}
}

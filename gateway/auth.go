package gateway

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/apikey"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// principal is who is calling: the key's workspace, role and agent.
type principal struct {
	WorkspaceID string
	KeyID       string
	Role        string
	AgentID     string
}

const principalKey = "toolgate.principal"

// authenticate requires a valid bearer key of the given role: 401 for a
// missing or unknown key, 403 for a key of another role.
func (s *Server) authenticate(role string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := s.principalFromRequest(c.Request)
		if err != nil {
			s.writeError(c, err)
			return
		}
		if p.Role != role {
			s.writeError(c, &HTTPError{Status: http.StatusForbidden, Type: ErrTypeForbidden,
				Message: "this endpoint needs an " + role + " key"})
			return
		}
		c.Set(principalKey, p)
		c.Next()
	}
}

var errUnauthorized = &HTTPError{Status: http.StatusUnauthorized, Type: ErrTypeUnauthorized,
	Message: "missing or invalid API key: send Authorization: Bearer tg_..."}

// principalFromRequest resolves the request's bearer key.
func (s *Server) principalFromRequest(r *http.Request) (*principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errUnauthorized
	}
	token = strings.TrimSpace(token)
	if !apikey.LooksValid(token) {
		return nil, errUnauthorized
	}
	hash := apikey.Hash(token)
	if p := s.keys.get(hash, s.now()); p != nil {
		return p, nil
	}
	key, err := s.store.APIKeyGetByHash(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(hash, key.Hash) != 1 {
		return nil, errUnauthorized
	}
	p := &principal{WorkspaceID: key.WorkspaceID, KeyID: key.ID, Role: key.Role, AgentID: key.AgentID}
	s.keys.put(hash, p, s.now())
	return p, nil
}

// keyCacheTTL bounds how long a key revoked through another replica keeps
// working on this one; a key revoked through this replica stops at once.
const keyCacheTTL = tools.CatalogTTLDefault

// keyCacheMax bounds the cache; it is emptied when full.
const keyCacheMax = 10000

// keyCache remembers resolved keys so the hot path does not query the store
// on every request.
type keyCache struct {
	mu      sync.RWMutex
	entries map[string]keyEntry // by SHA-256 of the key
}

type keyEntry struct {
	p        *principal
	loadedAt time.Time
}

func (k *keyCache) get(hash []byte, now time.Time) *principal {
	k.mu.RLock()
	e, ok := k.entries[string(hash)]
	k.mu.RUnlock()
	if !ok || now.Sub(e.loadedAt) >= keyCacheTTL {
		return nil
	}
	return e.p
}

func (k *keyCache) put(hash []byte, p *principal, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.entries == nil || len(k.entries) >= keyCacheMax {
		k.entries = make(map[string]keyEntry)
	}
	k.entries[string(hash)] = keyEntry{p: p, loadedAt: now}
}

// forget drops a key (by ID) from the cache.
func (k *keyCache) forget(keyID string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for h, e := range k.entries {
		if e.p.KeyID == keyID {
			delete(k.entries, h)
		}
	}
}

// who returns the authenticated principal of a request.
func who(c *gin.Context) *principal {
	return c.MustGet(principalKey).(*principal)
}

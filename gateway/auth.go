package gateway

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/apikey"
	"github.com/toolgate/toolgate/store"
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
	return &principal{WorkspaceID: key.WorkspaceID, KeyID: key.ID, Role: key.Role, AgentID: key.AgentID}, nil
}

// who returns the authenticated principal of a request.
func who(c *gin.Context) *principal {
	return c.MustGet(principalKey).(*principal)
}

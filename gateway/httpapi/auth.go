package httpapi

import (
	"context"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/tenant"
)

// Authenticator resolves a bearer key to its principal (admin.Keys).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*tenant.Principal, error)
}

const principalKey = "toolgate.principal"

// BearerToken returns the token of an "Authorization: Bearer ..." value.
func BearerToken(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// PrincipalOf authenticates a request's bearer key.
func PrincipalOf(c *gin.Context, auth Authenticator) (*tenant.Principal, error) {
	token := BearerToken(c.GetHeader("Authorization"))
	if token == "" {
		return nil, admin.ErrUnauthorized
	}
	return auth.Authenticate(c.Request.Context(), token)
}

// RequireRole requires a valid bearer key of the given role: 401 for a
// missing or unknown key, 403 for a key of another role.
func RequireRole(auth Authenticator, role string, errs Errors) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := PrincipalOf(c, auth)
		if err != nil {
			errs.Write(c, err)
			return
		}
		if p.Role != role {
			errs.Write(c, &problem.Error{Kind: problem.Forbidden, Message: "this endpoint needs an " + role + " key"})
			return
		}
		SetPrincipal(c, p)
		c.Next()
	}
}

// SetPrincipal records who is calling.
func SetPrincipal(c *gin.Context, p *tenant.Principal) { c.Set(principalKey, p) }

// Who returns the authenticated principal of a request.
func Who(c *gin.Context) *tenant.Principal {
	return c.MustGet(principalKey).(*tenant.Principal)
}

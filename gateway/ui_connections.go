package gateway

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// uiSecret is a secret's name and whether it is set; never its value.
type uiSecret struct {
	Name string
	Set  bool
}

// uiConnection is a connection as the console lists it.
type uiConnection struct {
	ID, Name, BaseURL, AuthType string
	// OAuth is "" for non-OAuth connections, else "connected",
	// "needs_reauth" or "not connected".
	OAuth      string
	OAuthError string
	Expiry     *time.Time
	Expired    bool
	Scopes     string
	CanConnect bool
	Secrets    []uiSecret
	Headers    []string
}

// uiConnectionsData is the connections page's content.
type uiConnectionsData struct {
	Connections []uiConnection
}

func (s *Server) uiConnections(c *gin.Context) error {
	ctx := c.Request.Context()
	ws := who(c).WorkspaceID
	conns, err := s.store.ConnectionList(ctx, ws, store.ListParams{Limit: store.ListLimitMax})
	if err != nil {
		return err
	}
	now := s.now()
	out := make([]uiConnection, 0, len(conns))
	for _, conn := range conns {
		v, err := s.viewConnection(ctx, conn)
		if err != nil {
			return err
		}
		auth := decodeAuth(conn.Auth)
		if auth == nil {
			auth = &tools.Auth{Type: tools.AuthNone}
		}
		uc := uiConnection{ID: v.ID, Name: v.Name, BaseURL: v.BaseURL, AuthType: auth.Type,
			CanConnect: auth.Type == tools.AuthOAuth2AuthorizationCode}
		for _, name := range slices.Sorted(maps.Keys(v.Secrets)) {
			uc.Secrets = append(uc.Secrets, uiSecret{Name: name, Set: v.Secrets[name].Set})
		}
		// Header names only: a header's value may be a credential.
		uc.Headers = slices.Sorted(maps.Keys(v.Headers))
		if st := v.OAuth; st != nil {
			uc.OAuth, uc.OAuthError, uc.Expiry = st.Status, st.LastError, st.ExpiresAt
			uc.Scopes = strings.Join(st.Scopes, " ")
			uc.Expired = st.ExpiresAt != nil && !st.ExpiresAt.After(now)
		}
		out = append(out, uc)
	}
	slices.SortFunc(out, func(a, b uiConnection) int { return strings.Compare(a.Name, b.Name) })
	s.uiRender(c, http.StatusOK, "connections", uiPage{Title: "Connections", Nav: "connections", CSRF: uiSessionOf(c).CSRFToken,
		SignedIn: true, Data: uiConnectionsData{Connections: out}})
	return nil
}

// uiConnect starts the OAuth authorization-code flow through the admin
// API's authorize and sends the browser to the provider.
func (s *Server) uiConnect(c *gin.Context) error {
	var answer struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	if _, err := s.adminCallJSON(c, s.oauthAuthorize, map[string]any{}, idParam(c.Param("id")), &answer); err != nil {
		return err
	}
	if !tools.IsHTTPURL(answer.AuthorizeURL) {
		return &HTTPError{Status: http.StatusBadGateway, Type: ErrTypeInternal, Message: "the authorize step returned no URL to visit"}
	}
	c.Redirect(http.StatusSeeOther, answer.AuthorizeURL)
	return nil
}

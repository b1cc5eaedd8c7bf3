package console

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/problem"
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
	Deleted     bool
}

func (u *Console) uiConnections(c *gin.Context) error {
	p, err := u.Admin.Connections.List(c.Request.Context(), httpapi.Who(c).WorkspaceID, everything)
	if err != nil {
		return err
	}
	now := u.now()
	out := make([]uiConnection, 0, len(p.Items))
	for _, v := range p.Items {
		auth := tools.Auth{Type: tools.AuthNone}
		_ = json.Unmarshal(v.Auth, &auth)
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
	u.uiRender(c, http.StatusOK, "connections", uiPage{Title: "Connections", Nav: "connections", CSRF: uiSessionOf(c).CSRFToken,
		SignedIn: true, Data: uiConnectionsData{Connections: out, Deleted: c.Query("deleted") != ""}})
	return nil
}

// uiConnect starts the OAuth authorization-code flow and sends the browser
// to the provider.
func (u *Console) uiConnect(c *gin.Context) error {
	authorizeURL, err := u.Admin.Connections.OAuthAuthorize(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	if !tools.IsHTTPURL(authorizeURL) {
		return &problem.Error{Kind: problem.BadGateway, Type: "internal_error", Message: "the authorize step returned no URL to visit"}
	}
	c.Redirect(http.StatusSeeOther, authorizeURL)
	return nil
}

package gateway

import (
	"context"
	"errors"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// errOAuthNotConfigured answers the OAuth routes of a gateway built without
// an oauth.Manager.
var errOAuthNotConfigured = &HTTPError{Status: http.StatusNotImplemented, Type: "not_implemented",
	Message: "this gateway is not configured for OAuth2 connections"}

// oauthConnection loads and opens the workspace's connection named in the
// path, refusing one that is not an OAuth2 connection.
func (s *Server) oauthConnection(c *gin.Context) (*tools.Connection, error) {
	if s.oauth == nil {
		return nil, errOAuthNotConfigured
	}
	sc, err := s.store.ConnectionGet(c.Request.Context(), who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return nil, notFoundAs(err, "connection")
	}
	conn, err := tools.OpenConnection(s.box, sc)
	if err != nil {
		return nil, err
	}
	if !conn.Auth.IsOAuth2() {
		return nil, &HTTPError{Status: http.StatusConflict, Type: ErrTypeConflict,
			Message: "connection " + conn.Name + " does not use OAuth2 (auth.type is " + conn.Auth.Type + ")"}
	}
	return conn, nil
}

// oauthAuthorize starts the authorization-code flow: POST
// /v1/admin/connections/{id}/oauth/authorize → {authorize_url}.
func (s *Server) oauthAuthorize(c *gin.Context) error {
	conn, err := s.oauthConnection(c)
	if err != nil {
		return err
	}
	u, err := s.oauth.AuthorizeURL(c.Request.Context(), who(c).WorkspaceID, conn)
	if err != nil {
		return oauthHTTPError(err)
	}
	c.JSON(http.StatusOK, gin.H{"authorize_url": u})
	return nil
}

// oauthRefresh forces a refresh: POST /v1/admin/connections/{id}/oauth/refresh
// → the connection with its oauth status.
func (s *Server) oauthRefresh(c *gin.Context) error {
	conn, err := s.oauthConnection(c)
	if err != nil {
		return err
	}
	if _, err := s.oauth.Refresh(c.Request.Context(), who(c).WorkspaceID, conn); err != nil {
		return oauthHTTPError(err)
	}
	return s.getConnection(c)
}

// oauthForget deletes a connection's tokens: DELETE
// /v1/admin/connections/{id}/oauth.
func (s *Server) oauthForget(c *gin.Context) error {
	conn, err := s.oauthConnection(c)
	if err != nil {
		return err
	}
	if err := s.oauth.Forget(c.Request.Context(), who(c).WorkspaceID, conn.ID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// oauthHTTPError maps the oauth package's errors to HTTP.
func oauthHTTPError(err error) error {
	var te *oauth.TokenEndpointError
	switch {
	case errors.Is(err, oauth.ErrNeedsReauth):
		return &HTTPError{Status: http.StatusConflict, Type: "needs_reauth",
			Message: "the provider refused the refresh token: authorize the connection again (POST .../oauth/authorize)", Err: err}
	case errors.Is(err, oauth.ErrNotConnected):
		return &HTTPError{Status: http.StatusConflict, Type: "not_connected",
			Message: "the connection has no tokens: authorize it first (POST .../oauth/authorize)", Err: err}
	case errors.Is(err, oauth.ErrNotAuthorizationCode), errors.Is(err, oauth.ErrNoRedirectURL):
		return &HTTPError{Status: http.StatusConflict, Type: ErrTypeConflict, Message: rootMessage(err), Err: err}
	case errors.As(err, &te):
		return &HTTPError{Status: http.StatusBadGateway, Type: "token_endpoint_error", Message: te.Error(), Err: err}
	}
	return err
}

// rootMessage is the innermost error's text.
func rootMessage(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// oauthStatus is the oauth block of a connection view (nil for connections
// of other auth types).
func (s *Server) oauthStatus(ctx context.Context, conn *store.Connection) (*oauth.Status, error) {
	auth := decodeAuth(conn.Auth)
	if auth == nil || !auth.IsOAuth2() {
		return nil, nil
	}
	tok, err := s.store.OAuthTokenGet(ctx, conn.WorkspaceID, conn.ID)
	if errors.Is(err, store.ErrNotFound) {
		tok, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	st := oauth.StatusOf(tok)
	return &st, nil
}

// callbackPage is the small page the admin's browser lands on.
var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>toolgate: {{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .Detail}}<p><code>{{.Detail}}</code></p>{{end}}
<p>You can close this window.</p></body></html>
`))

type callbackView struct {
	Title, Message, Detail string
}

// oauthCallback finishes an authorization: GET /v1/oauth/callback?code&state.
// It needs no key: the single-use state authenticates the request.
func (s *Server) oauthCallback(c *gin.Context) {
	if s.oauth == nil {
		s.writeError(c, errOAuthNotConfigured)
		return
	}
	q := c.Request.URL.Query()
	res, err := s.oauth.Callback(c.Request.Context(), oauth.CallbackParams{
		State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
	})
	name := "the connection"
	if res != nil {
		name = "connection " + res.ConnectionName
		s.catalog.Invalidate(res.WorkspaceID)
	}
	status, view := http.StatusOK, callbackView{Title: "Connected", Message: name + " is connected."}
	var pe *oauth.ProviderError
	var te *oauth.TokenEndpointError
	switch {
	case err == nil:
	case errors.Is(err, oauth.ErrInvalidState):
		status, view = http.StatusBadRequest, callbackView{Title: "Not connected", Message: oauth.ErrInvalidState.Error()}
	case errors.As(err, &pe):
		status, view = http.StatusBadRequest, callbackView{Title: "Not connected",
			Message: "The provider did not authorize " + name + ".", Detail: pe.Error()}
	case errors.As(err, &te):
		status, view = http.StatusBadGateway, callbackView{Title: "Not connected",
			Message: "The provider refused to exchange the code for " + name + ".", Detail: te.Error()}
	default:
		s.log.ErrorContext(c.Request.Context(), "oauth callback failed", "err", err)
		status, view = http.StatusInternalServerError, callbackView{Title: "Not connected",
			Message: "Something went wrong while connecting " + name + "; see the gateway's log."}
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	c.Status(status)
	_ = callbackPage.Execute(c.Writer, view)
}

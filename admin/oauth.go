package admin

import (
	"context"
	"errors"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// errOAuthNotConfigured answers the OAuth actions of a gateway built
// without an oauth.Manager.
var errOAuthNotConfigured = &problem.Error{Kind: problem.NotImplemented,
	Message: "this gateway is not configured for OAuth2 connections"}

// oauthConnection loads and opens a connection, refusing one that is not
// an OAuth2 connection.
func (s *Connections) oauthConnection(ctx context.Context, workspaceID, id string) (*tools.Connection, error) {
	if s.d.oauth == nil {
		return nil, errOAuthNotConfigured
	}
	sc, err := s.d.store.ConnectionGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "connection")
	}
	conn, err := tools.OpenConnection(s.d.box, sc)
	if err != nil {
		return nil, err
	}
	if !conn.Auth.IsOAuth2() {
		return nil, problem.Conflictf("connection %s does not use OAuth2 (auth.type is %s)", conn.Name, conn.Auth.Type)
	}
	return conn, nil
}

// OAuthAuthorize starts the authorization-code flow and returns the URL
// the admin opens to approve.
func (s *Connections) OAuthAuthorize(ctx context.Context, workspaceID, id string) (string, error) {
	conn, err := s.oauthConnection(ctx, workspaceID, id)
	if err != nil {
		return "", err
	}
	u, err := s.d.oauth.AuthorizeURL(ctx, workspaceID, conn)
	if err != nil {
		return "", oauthProblem(err)
	}
	return u, nil
}

// OAuthRefresh forces a token refresh and returns the connection.
func (s *Connections) OAuthRefresh(ctx context.Context, workspaceID, id string) (*Connection, error) {
	conn, err := s.oauthConnection(ctx, workspaceID, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.d.oauth.Refresh(ctx, workspaceID, conn); err != nil {
		return nil, oauthProblem(err)
	}
	return s.Get(ctx, workspaceID, id)
}

// OAuthForget deletes a connection's tokens.
func (s *Connections) OAuthForget(ctx context.Context, workspaceID, id string) error {
	conn, err := s.oauthConnection(ctx, workspaceID, id)
	if err != nil {
		return err
	}
	return s.d.oauth.Forget(ctx, workspaceID, conn.ID)
}

// OAuthCallback finishes an authorization with what the provider sent to
// the callback URL; the single-use state authenticates it. The result
// names the connection even when the exchange failed (nil when the state
// was unknown). Errors are the oauth package's: ErrInvalidState,
// *ProviderError, *TokenEndpointError or internal.
func (s *Connections) OAuthCallback(ctx context.Context, p oauth.CallbackParams) (*oauth.CallbackResult, error) {
	if s.d.oauth == nil {
		return nil, errOAuthNotConfigured
	}
	res, err := s.d.oauth.Callback(ctx, p)
	if res != nil {
		s.d.notify(ctx, res.WorkspaceID, changes.Connections, res.ConnectionID)
	}
	return res, err
}

// oauthProblem maps the oauth package's errors to problems.
func oauthProblem(err error) error {
	var te *oauth.TokenEndpointError
	switch {
	case errors.Is(err, oauth.ErrNeedsReauth):
		return &problem.Error{Kind: problem.Conflict, Type: "needs_reauth",
			Message: "the provider refused the refresh token: authorize the connection again (POST .../oauth/authorize)", Err: err}
	case errors.Is(err, oauth.ErrNotConnected):
		return &problem.Error{Kind: problem.Conflict, Type: "not_connected",
			Message: "the connection has no tokens: authorize it first (POST .../oauth/authorize)", Err: err}
	case errors.Is(err, oauth.ErrNotAuthorizationCode), errors.Is(err, oauth.ErrNoRedirectURL):
		return &problem.Error{Kind: problem.Conflict, Message: rootMessage(err), Err: err}
	case errors.As(err, &te):
		return &problem.Error{Kind: problem.BadGateway, Type: "token_endpoint_error", Message: te.Error(), Err: err}
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
func (s *Connections) oauthStatus(ctx context.Context, conn *store.Connection) (*oauth.Status, error) {
	auth := decodeAuth(conn.Auth)
	if auth == nil || !auth.IsOAuth2() {
		return nil, nil
	}
	tok, err := s.d.store.OAuthTokenGet(ctx, conn.WorkspaceID, conn.ID)
	if errors.Is(err, store.ErrNotFound) {
		tok, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	st := oauth.StatusOf(tok)
	return &st, nil
}

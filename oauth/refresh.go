package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// refreshMode says when a refresh under the lock may be skipped.
type refreshMode int

const (
	// refreshIfStale skips the refresh when the stored token is fresh
	// (another caller or replica refreshed it first).
	refreshIfStale refreshMode = iota
	// refreshUnlessReplaced skips it when the stored token is fresh and
	// differs from the one the upstream refused.
	refreshUnlessReplaced
	// refreshAlways is an admin's forced refresh; it also retries a
	// connection marked needs_reauth.
	refreshAlways
)

// refresh obtains a new token under the store's per-connection lock and
// stores it before returning it. A refresh token the endpoint rejected
// (invalid_grant) marks the connection needs_reauth.
func (m *Manager) refresh(ctx context.Context, workspaceID string, conn *tools.Connection, mode refreshMode, rejected string) (*store.OAuthToken, error) {
	select {
	case m.refreshing <- struct{}{}:
		defer func() { <-m.refreshing }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var failure error
	stored, err := m.store.OAuthTokenUpdate(ctx, workspaceID, conn.ID, func(cur *store.OAuthToken) (*store.OAuthToken, error) {
		failure = nil
		if cur != nil && cur.Status == store.OAuthStatusNeedsReauth && mode != refreshAlways {
			return nil, needsReauth(conn, cur.LastError)
		}
		switch mode {
		case refreshIfStale:
			if m.fresh(cur) {
				return nil, nil // refreshed meanwhile, here or on another replica
			}
		case refreshUnlessReplaced:
			if m.fresh(cur) && rejected != "" && m.openAccess(workspaceID, conn.ID, cur) != rejected {
				return nil, nil
			}
		}
		tok, err := m.fetch(ctx, workspaceID, conn, cur)
		if err == nil {
			return m.row(workspaceID, conn, cur, tok), nil
		}
		var te *TokenEndpointError
		reauth := errors.Is(err, ErrNeedsReauth) || (errors.As(err, &te) && te.InvalidGrant() && conn.Auth.Type == tools.AuthOAuth2AuthorizationCode)
		m.log.WarnContext(ctx, "oauth token request failed", slog.String("workspace_id", workspaceID),
			slog.String("connection", conn.Name), slog.String("err", err.Error()), slog.Bool("needs_reauth", reauth))
		if cur == nil {
			return nil, err
		}
		next := *cur
		next.UpdatedAt = m.now().UTC()
		if reauth {
			next.Status = store.OAuthStatusNeedsReauth
			next.LastError = err.Error() + "; an admin must authorize the connection again"
			failure = needsReauth(conn, "")
		} else {
			next.LastError = err.Error()
			failure = err
		}
		return &next, nil // keep the reason; the tokens stay as they were
	})
	if err != nil {
		return nil, fmt.Errorf("refreshing the token of connection %s: %w", conn.Name, err)
	}
	if failure != nil {
		m.forget(workspaceID, conn.ID)
		return nil, fmt.Errorf("refreshing the token of connection %s: %w", conn.Name, failure)
	}
	if stored == nil {
		return nil, notConnected(conn)
	}
	return stored, nil
}

// openAccess returns a stored access token in plaintext ("" when it does
// not open).
func (m *Manager) openAccess(workspaceID, connectionID string, t *store.OAuthToken) string {
	plain, err := m.box.Open(t.AccessToken, accessAAD(workspaceID, connectionID))
	if err != nil {
		return ""
	}
	return string(plain)
}

// fetch asks the token endpoint for a token: client credentials, or the
// refresh token grant with the stored refresh token.
func (m *Manager) fetch(ctx context.Context, workspaceID string, conn *tools.Connection, cur *store.OAuthToken) (*oauth2.Token, error) {
	hctx := context.WithValue(ctx, oauth2.HTTPClient, m.cfg.HTTPClient)
	switch conn.Auth.Type {
	case tools.AuthOAuth2ClientCredentials:
		cc := &clientcredentials.Config{
			ClientID: conn.Auth.ClientID, ClientSecret: conn.Secrets[tools.SecretClientSecret],
			TokenURL: conn.Auth.TokenURL, Scopes: conn.Auth.Scopes, AuthStyle: authStyle(conn),
		}
		if conn.Auth.Audience != "" {
			cc.EndpointParams = url.Values{"audience": {conn.Auth.Audience}}
		}
		return m.retry(ctx, func() (*oauth2.Token, error) { return cc.Token(hctx) })
	case tools.AuthOAuth2AuthorizationCode:
		if cur == nil || len(cur.RefreshToken) == 0 {
			return nil, fmt.Errorf("the provider gave no refresh token: %w", ErrNeedsReauth)
		}
		refresh, err := m.box.Open(cur.RefreshToken, refreshAAD(workspaceID, conn.ID))
		if err != nil {
			return nil, fmt.Errorf("opening the refresh token: %w", err)
		}
		cfg := m.oauth2Config(conn, "")
		return m.retry(ctx, func() (*oauth2.Token, error) {
			return cfg.TokenSource(hctx, &oauth2.Token{RefreshToken: string(refresh)}).Token()
		})
	}
	return nil, ErrNotOAuth
}

// retry runs one token request, again after 5xx answers and network
// failures, with exponential backoff, within ctx.
func (m *Manager) retry(ctx context.Context, request func() (*oauth2.Token, error)) (*oauth2.Token, error) {
	wait := m.cfg.Backoff
	for attempt := 1; ; attempt++ {
		tok, err := request()
		if err == nil {
			return tok, nil
		}
		te := endpointError(err)
		if !te.retryable() || attempt >= m.cfg.MaxAttempts || errors.Is(err, egress.ErrBlocked) || ctx.Err() != nil {
			return nil, te
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return nil, te
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, te
		case <-t.C:
		}
		wait *= 2
	}
}

// endpointError turns an x/oauth2 error into a TokenEndpointError, dropping
// the response body (which may echo credentials).
func endpointError(err error) *TokenEndpointError {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenEndpointError{Code: cleanText(re.ErrorCode), Description: cleanText(re.ErrorDescription)}
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		if te.StatusCode == 0 {
			te.StatusCode = 400 // an error in a 200 answer: not worth retrying
		}
		return te
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Keep the cause, not the URL with its query.
		return &TokenEndpointError{Err: ue.Err}
	}
	if strings.HasPrefix(err.Error(), "oauth2: ") {
		// A malformed answer (no access_token, unparsable body).
		return &TokenEndpointError{StatusCode: 200, Description: cleanText(err.Error())}
	}
	return &TokenEndpointError{Err: err}
}

// row builds the token state to store from a token endpoint answer. A
// missing refresh token keeps the current one.
func (m *Manager) row(workspaceID string, conn *tools.Connection, cur *store.OAuthToken, tok *oauth2.Token) *store.OAuthToken {
	now := m.now().UTC()
	next := &store.OAuthToken{
		WorkspaceID: workspaceID, ConnectionID: conn.ID,
		AccessToken:     m.box.Seal([]byte(tok.AccessToken), accessAAD(workspaceID, conn.ID)),
		TokenType:       tok.TokenType,
		Expiry:          m.expiry(tok),
		Status:          store.OAuthStatusConnected,
		LastRefreshedAt: &now,
		UpdatedAt:       now,
	}
	switch {
	case tok.RefreshToken != "":
		next.RefreshToken = m.box.Seal([]byte(tok.RefreshToken), refreshAAD(workspaceID, conn.ID))
	case cur != nil:
		next.RefreshToken = cur.RefreshToken
	}
	next.Scopes = grantedScopes(tok, conn, cur)
	return next
}

// expiry is when tok expires by the manager's clock (nil: no expiry given).
func (m *Manager) expiry(tok *oauth2.Token) *time.Time {
	var at time.Time
	switch {
	case tok.ExpiresIn > 0:
		at = m.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	case !tok.Expiry.IsZero():
		at = m.now().Add(time.Until(tok.Expiry))
	default:
		return nil
	}
	at = at.UTC()
	return &at
}

// grantedScopes is the scope the endpoint granted, else the previous grant,
// else the scopes asked for.
func grantedScopes(tok *oauth2.Token, conn *tools.Connection, cur *store.OAuthToken) string {
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		return s
	}
	if cur != nil && cur.Scopes != "" {
		return cur.Scopes
	}
	return strings.Join(conn.Auth.Scopes, " ")
}

// authStyle maps auth.auth_style to x/oauth2's: header (HTTP Basic, which
// RFC 6749 requires servers to accept) unless the client is public, params,
// or auto (x/oauth2 probes both, sending a second request after a failure).
func authStyle(conn *tools.Connection) oauth2.AuthStyle {
	switch conn.Auth.AuthStyle {
	case "params":
		return oauth2.AuthStyleInParams
	case "auto":
		return oauth2.AuthStyleAutoDetect
	case "header":
		return oauth2.AuthStyleInHeader
	}
	if conn.Secrets[tools.SecretClientSecret] == "" {
		return oauth2.AuthStyleInParams // a public client sends its client_id
	}
	return oauth2.AuthStyleInHeader
}

// oauth2Config is the x/oauth2 configuration of an authorization-code
// connection.
func (m *Manager) oauth2Config(conn *tools.Connection, redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: conn.Auth.ClientID, ClientSecret: conn.Secrets[tools.SecretClientSecret],
		Endpoint:    oauth2.Endpoint{AuthURL: conn.Auth.AuthorizeURL, TokenURL: conn.Auth.TokenURL, AuthStyle: authStyle(conn)},
		RedirectURL: redirectURL, Scopes: conn.Auth.Scopes,
	}
}

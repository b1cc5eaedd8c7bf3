package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// reservedAuthorizeParams are set by the gateway; extra_authorize_params
// cannot replace them.
var reservedAuthorizeParams = []string{
	"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
}

// RedirectURL is where the provider sends the admin back for conn: its
// redirect_url, or the gateway's public URL plus CallbackPath.
func (m *Manager) RedirectURL(conn *tools.Connection) (string, error) {
	if conn.Auth.RedirectURL != "" {
		return conn.Auth.RedirectURL, nil
	}
	if m.cfg.PublicURL == "" {
		return "", ErrNoRedirectURL
	}
	return strings.TrimRight(m.cfg.PublicURL, "/") + CallbackPath, nil
}

// AuthorizeURL starts the authorization-code flow of a connection: it stores
// a single-use state bound to the workspace and connection, valid for
// StateTTL, with a sealed PKCE verifier, and returns the provider URL the
// admin opens.
func (m *Manager) AuthorizeURL(ctx context.Context, workspaceID string, conn *tools.Connection) (string, error) {
	if conn.Auth.Type != tools.AuthOAuth2AuthorizationCode {
		return "", fmt.Errorf("connection %s: %w", conn.Name, ErrNotAuthorizationCode)
	}
	redirect, err := m.RedirectURL(conn)
	if err != nil {
		return "", err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	state := base64.RawURLEncoding.EncodeToString(raw[:])
	verifier := oauth2.GenerateVerifier()
	now := m.now().UTC()
	s := &store.OAuthState{
		StateHash: stateHash(state), WorkspaceID: workspaceID, ConnectionID: conn.ID,
		RedirectURL: redirect, CreatedAt: now, ExpiresAt: now.Add(StateTTL),
	}
	s.CodeVerifier = m.box.Seal([]byte(verifier), verifierAAD(s))
	if err := m.store.OAuthStateInsert(ctx, s); err != nil {
		return "", fmt.Errorf("storing the authorization state of connection %s: %w", conn.Name, err)
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for _, k := range slices.Sorted(maps.Keys(conn.Auth.ExtraAuthorizeParams)) {
		if !slices.Contains(reservedAuthorizeParams, k) {
			opts = append(opts, oauth2.SetAuthURLParam(k, conn.Auth.ExtraAuthorizeParams[k]))
		}
	}
	return m.oauth2Config(conn, redirect).AuthCodeURL(state, opts...), nil
}

func stateHash(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

// CallbackParams are the query parameters the provider sends to the
// callback.
type CallbackParams struct {
	State            string
	Code             string
	Error            string
	ErrorDescription string
}

// CallbackResult names the connection a callback finished.
type CallbackResult struct {
	WorkspaceID    string
	ConnectionID   string
	ConnectionName string
}

// Callback finishes an authorization: it consumes the state (so it works
// once), then exchanges the code with the PKCE verifier and stores the
// tokens. The result names the connection even when the provider sent an
// error (a *ProviderError) or the exchange failed (a *TokenEndpointError).
func (m *Manager) Callback(ctx context.Context, p CallbackParams) (*CallbackResult, error) {
	if p.State == "" {
		return nil, ErrInvalidState
	}
	s, err := m.store.OAuthStateConsume(ctx, stateHash(p.State), m.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalidState
	}
	if err != nil {
		return nil, err
	}
	sc, err := m.store.ConnectionGet(ctx, s.WorkspaceID, s.ConnectionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalidState // the connection went away meanwhile
	}
	if err != nil {
		return nil, err
	}
	conn, err := tools.OpenConnection(m.box, sc)
	if err != nil {
		return nil, err
	}
	res := &CallbackResult{WorkspaceID: s.WorkspaceID, ConnectionID: conn.ID, ConnectionName: conn.Name}
	if p.Error != "" {
		return res, &ProviderError{Code: cleanText(p.Error), Description: cleanText(p.ErrorDescription)}
	}
	if p.Code == "" {
		return res, &ProviderError{Code: "invalid_request", Description: "the provider sent neither a code nor an error"}
	}
	if conn.Auth.Type != tools.AuthOAuth2AuthorizationCode {
		return res, fmt.Errorf("connection %s: %w", conn.Name, ErrNotAuthorizationCode)
	}
	verifier, err := m.box.Open(s.CodeVerifier, verifierAAD(s))
	if err != nil {
		return res, fmt.Errorf("opening the PKCE verifier: %w", err)
	}
	cfg := m.oauth2Config(conn, s.RedirectURL)
	hctx := context.WithValue(ctx, oauth2.HTTPClient, m.cfg.HTTPClient)
	// A code works once: no retries.
	tok, err := cfg.Exchange(hctx, p.Code, oauth2.VerifierOption(string(verifier)))
	if err != nil {
		return res, endpointError(err)
	}
	row := m.row(s.WorkspaceID, conn, nil, tok)
	if err := m.store.OAuthTokenPut(ctx, row); err != nil {
		return res, fmt.Errorf("storing the tokens of connection %s: %w", conn.Name, err)
	}
	m.forget(s.WorkspaceID, conn.ID)
	return res, nil
}

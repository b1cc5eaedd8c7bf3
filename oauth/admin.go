package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Statuses shown to admins; the first two are the store's.
const (
	StatusConnected    = store.OAuthStatusConnected
	StatusNeedsReauth  = store.OAuthStatusNeedsReauth
	StatusNotConnected = "not_connected"
)

// Status is what an admin sees of a connection's tokens: never a token.
type Status struct {
	Status          string     `json:"status"`
	ExpiresAt       *time.Time `json:"expires_at"`
	Scopes          []string   `json:"scopes"`
	LastRefreshedAt *time.Time `json:"last_refreshed_at"`
	LastError       string     `json:"last_error"`
}

// StatusOf describes a stored token state (nil: not connected).
func StatusOf(t *store.OAuthToken) Status {
	if t == nil {
		return Status{Status: StatusNotConnected, Scopes: []string{}}
	}
	return Status{Status: t.Status, ExpiresAt: t.Expiry, Scopes: scopesOf(t.Scopes),
		LastRefreshedAt: t.LastRefreshedAt, LastError: t.LastError}
}

// Status returns the token status of a workspace's connection.
func (m *Manager) Status(ctx context.Context, workspaceID, connectionID string) (Status, error) {
	t, err := m.store.OAuthTokenGet(ctx, workspaceID, connectionID)
	if errors.Is(err, store.ErrNotFound) {
		return StatusOf(nil), nil
	}
	if err != nil {
		return Status{}, err
	}
	return StatusOf(t), nil
}

// Refresh is an admin's forced refresh: it asks the token endpoint for a new
// token now, even for a connection marked needs_reauth (clearing the mark
// when it works).
func (m *Manager) Refresh(ctx context.Context, workspaceID string, conn *tools.Connection) (Status, error) {
	if !conn.Auth.IsOAuth2() {
		return Status{}, fmt.Errorf("connection %s: %w", conn.Name, ErrNotOAuth)
	}
	if conn.Auth.Type == tools.AuthOAuth2AuthorizationCode {
		if _, err := m.store.OAuthTokenGet(ctx, workspaceID, conn.ID); errors.Is(err, store.ErrNotFound) {
			return Status{}, notConnected(conn)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.TokenTimeout)
	defer cancel()
	stored, err := m.refresh(ctx, workspaceID, conn, refreshAlways, "")
	if err != nil {
		return Status{}, err
	}
	if _, err := m.use(workspaceID, conn.ID, stored); err != nil {
		return Status{}, err
	}
	return StatusOf(stored), nil
}

// Forget deletes a connection's tokens. Forgetting a connection without
// tokens is not an error.
func (m *Manager) Forget(ctx context.Context, workspaceID, connectionID string) error {
	defer m.forget(workspaceID, connectionID)
	err := m.store.OAuthTokenDelete(ctx, workspaceID, connectionID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

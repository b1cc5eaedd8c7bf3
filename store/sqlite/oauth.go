package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

const oauthTokenColumns = `workspace_id, connection_id, access_token, refresh_token, token_type, expiry, scopes,
	status, last_error, last_refreshed_at, version, updated_at`

// oauthTokenUpsert writes a token at version 1, or replaces the row's token
// state and increments its version. The foreign key to (workspace_id, id) of
// connections fails for a connection that is missing or of another
// workspace.
const oauthTokenUpsert = `INSERT INTO oauth_tokens (` + oauthTokenColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
	ON CONFLICT (workspace_id, connection_id) DO UPDATE SET
		access_token = excluded.access_token, refresh_token = excluded.refresh_token,
		token_type = excluded.token_type, expiry = excluded.expiry, scopes = excluded.scopes,
		status = excluded.status, last_error = excluded.last_error,
		last_refreshed_at = excluded.last_refreshed_at, version = oauth_tokens.version + 1,
		updated_at = excluded.updated_at
	RETURNING ` + oauthTokenColumns

// tokenLockKey names a connection's entry in Store.tokenLocks.
func tokenLockKey(workspaceID, connectionID string) string {
	return workspaceID + "\x00" + connectionID
}

// OAuthTokenGet returns the token state of the workspace's connection.
func (s *Store) OAuthTokenGet(ctx context.Context, workspaceID, connectionID string) (*store.OAuthToken, error) {
	t, err := s.getToken(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, fmt.Errorf("getting oauth token of connection %s: %w", connectionID, mapErr(err))
	}
	return t, nil
}

// OAuthTokenPut inserts or replaces the token state of t's connection and
// sets t.Version to the stored version: 1 for a new row, the previous
// version plus one otherwise. A connection that is missing or of another
// workspace is store.ErrNotFound. Put waits for an OAuthTokenUpdate of the
// same connection in progress, so it is never overwritten by a refresh that
// started before it.
func (s *Store) OAuthTokenPut(ctx context.Context, t *store.OAuthToken) error {
	unlock, err := s.tokenLocks.Lock(ctx, tokenLockKey(t.WorkspaceID, t.ConnectionID))
	if err != nil {
		return fmt.Errorf("putting oauth token of connection %s: %w", t.ConnectionID, err)
	}
	defer unlock()
	stored, err := s.putToken(ctx, t)
	if err != nil {
		return fmt.Errorf("putting oauth token of connection %s: %w", t.ConnectionID, err)
	}
	t.Version = stored.Version
	return nil
}

// OAuthTokenDelete deletes the token state of the workspace's connection,
// after any OAuthTokenUpdate of it in progress.
func (s *Store) OAuthTokenDelete(ctx context.Context, workspaceID, connectionID string) error {
	unlock, err := s.tokenLocks.Lock(ctx, tokenLockKey(workspaceID, connectionID))
	if err != nil {
		return fmt.Errorf("deleting oauth token of connection %s: %w", connectionID, err)
	}
	defer unlock()
	res, err := s.write.ExecContext(ctx, `DELETE FROM oauth_tokens WHERE workspace_id = ? AND connection_id = ?`,
		workspaceID, connectionID)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("deleting oauth token of connection %s: %w", connectionID, mapErr(err))
	}
	return nil
}

// OAuthTokenUpdate runs fn with the connection's current token state (nil
// when there is none) and stores fn's result with the next version,
// returning the stored row. When fn returns nil, nothing is written and the
// current state (possibly nil) is returned; when fn fails, nothing is written
// and its error is returned wrapped. A connection that is missing or of
// another workspace is store.ErrNotFound and fn is not called.
//
// Calls for one connection are serialized with an in-process lock, held
// while fn runs, that OAuthTokenPut and OAuthTokenDelete take too; no
// database transaction is open meanwhile, so a slow fn never blocks other
// writes. The lock coordinates this Store only: SQLite is for one server per
// database file. fn must not call OAuthTokenPut, OAuthTokenDelete or
// OAuthTokenUpdate for the same connection, which would wait for itself.
func (s *Store) OAuthTokenUpdate(ctx context.Context, workspaceID, connectionID string,
	fn func(current *store.OAuthToken) (*store.OAuthToken, error)) (*store.OAuthToken, error) {
	unlock, err := s.tokenLocks.Lock(ctx, tokenLockKey(workspaceID, connectionID))
	if err != nil {
		return nil, fmt.Errorf("updating oauth token of connection %s: %w", connectionID, err)
	}
	defer unlock()

	var exists int
	if err := s.read.QueryRowContext(ctx, `SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?`,
		workspaceID, connectionID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("updating oauth token of connection %s: %w", connectionID, mapErr(err))
	}
	current, err := s.getToken(ctx, workspaceID, connectionID)
	if errors.Is(err, sql.ErrNoRows) {
		current, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("updating oauth token of connection %s: %w", connectionID, err)
	}

	next, err := fn(current)
	if err != nil {
		return nil, fmt.Errorf("updating oauth token of connection %s: %w", connectionID, err)
	}
	if next == nil {
		return current, nil
	}
	write := *next
	write.WorkspaceID, write.ConnectionID = workspaceID, connectionID
	stored, err := s.putToken(ctx, &write)
	if err != nil {
		return nil, fmt.Errorf("updating oauth token of connection %s: %w", connectionID, err)
	}
	return stored, nil
}

// getToken reads a token state; a missing row is sql.ErrNoRows.
func (s *Store) getToken(ctx context.Context, workspaceID, connectionID string) (*store.OAuthToken, error) {
	return scanOAuthToken(s.read.QueryRowContext(ctx, `SELECT `+oauthTokenColumns+` FROM oauth_tokens
		WHERE workspace_id = ? AND connection_id = ?`, workspaceID, connectionID))
}

// putToken upserts t and returns the stored row. The caller holds the
// connection's token lock.
func (s *Store) putToken(ctx context.Context, t *store.OAuthToken) (*store.OAuthToken, error) {
	stored, err := scanOAuthToken(s.write.QueryRowContext(ctx, oauthTokenUpsert,
		t.WorkspaceID, t.ConnectionID, bytesArg(t.AccessToken), bytesArg(t.RefreshToken), t.TokenType,
		microsPtr(t.Expiry), t.Scopes, t.Status, t.LastError, microsPtr(t.LastRefreshedAt), micros(t.UpdatedAt)))
	if err != nil {
		return nil, mapParentErr(err)
	}
	return stored, nil
}

func scanOAuthToken(row codec.Scanner) (*store.OAuthToken, error) {
	var (
		t                       store.OAuthToken
		expiry, lastRefreshedAt sql.NullInt64
		updatedAt               int64
	)
	if err := row.Scan(&t.WorkspaceID, &t.ConnectionID, &t.AccessToken, &t.RefreshToken, &t.TokenType, &expiry,
		&t.Scopes, &t.Status, &t.LastError, &lastRefreshedAt, &t.Version, &updatedAt); err != nil {
		return nil, err
	}
	t.Expiry = fromMicrosPtr(expiry)
	t.LastRefreshedAt = fromMicrosPtr(lastRefreshedAt)
	t.UpdatedAt = fromMicros(updatedAt)
	return &t, nil
}

const oauthStateColumns = `state_hash, workspace_id, connection_id, code_verifier, redirect_url, created_at, expires_at`

// OAuthStateInsert inserts a pending authorization. A connection that is
// missing or of another workspace is store.ErrNotFound; a duplicate hash is
// store.ErrConflict.
func (s *Store) OAuthStateInsert(ctx context.Context, st *store.OAuthState) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO oauth_states (`+oauthStateColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		st.StateHash, st.WorkspaceID, st.ConnectionID, bytesArg(st.CodeVerifier), st.RedirectURL,
		micros(st.CreatedAt), micros(st.ExpiresAt))
	if err != nil {
		return fmt.Errorf("inserting oauth state: %w", mapParentErr(err))
	}
	return nil
}

// OAuthStateConsume deletes the state with the given hash and returns it
// unless it expired (ExpiresAt at or before now), which is store.ErrNotFound
// as a missing state is. It also deletes every other expired state, so
// abandoned authorizations do not pile up.
func (s *Store) OAuthStateConsume(ctx context.Context, stateHash string, now time.Time) (*store.OAuthState, error) {
	var st *store.OAuthState
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		st, err = scanOAuthState(tx.QueryRowContext(ctx, `DELETE FROM oauth_states WHERE state_hash = ?
			RETURNING `+oauthStateColumns, stateHash))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM oauth_states WHERE expires_at <= ?`, micros(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("consuming oauth state: %w", err)
	}
	if st == nil || !now.Before(st.ExpiresAt) {
		return nil, fmt.Errorf("consuming oauth state: %w", store.ErrNotFound)
	}
	return st, nil
}

func scanOAuthState(row codec.Scanner) (*store.OAuthState, error) {
	var (
		st                   store.OAuthState
		createdAt, expiresAt int64
	)
	if err := row.Scan(&st.StateHash, &st.WorkspaceID, &st.ConnectionID, &st.CodeVerifier, &st.RedirectURL,
		&createdAt, &expiresAt); err != nil {
		return nil, err
	}
	st.CreatedAt = fromMicros(createdAt)
	st.ExpiresAt = fromMicros(expiresAt)
	return &st, nil
}

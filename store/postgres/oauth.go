package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11)
	ON CONFLICT (workspace_id, connection_id) DO UPDATE SET
		access_token = excluded.access_token, refresh_token = excluded.refresh_token,
		token_type = excluded.token_type, expiry = excluded.expiry, scopes = excluded.scopes,
		status = excluded.status, last_error = excluded.last_error,
		last_refreshed_at = excluded.last_refreshed_at, version = oauth_tokens.version + 1,
		updated_at = excluded.updated_at
	RETURNING ` + oauthTokenColumns

// oauthTokenLockPrefix starts the name of a connection's token lock.
const oauthTokenLockPrefix = "toolgate.store.oauth_token"

// tokenLockName names a connection's token lock: unique per installation
// (schema), workspace and connection. Its 64-bit hash is the advisory lock
// key; two names sharing a hash merely serialize each other.
func (s *Store) tokenLockName(workspaceID, connectionID string) string {
	return oauthTokenLockPrefix + ":" + s.schema + ":" + workspaceID + ":" + connectionID
}

// withTokenLock runs fn in a transaction holding the connection's token
// lock: first the in-process lock, then a transaction-level advisory lock
// that every replica sharing the database takes too. Both are released when
// fn returns.
func (s *Store) withTokenLock(ctx context.Context, workspaceID, connectionID string, fn func(pgx.Tx) error) error {
	name := s.tokenLockName(workspaceID, connectionID)
	unlock, err := s.tokenLocks.Lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, name); err != nil {
			return fmt.Errorf("taking the token lock: %w", err)
		}
		return fn(tx)
	})
}

// OAuthTokenGet returns the token state of the workspace's connection.
func (s *Store) OAuthTokenGet(ctx context.Context, workspaceID, connectionID string) (*store.OAuthToken, error) {
	t, err := getToken(ctx, s.pool, workspaceID, connectionID)
	if err != nil {
		return nil, fmt.Errorf("getting oauth token of connection %s: %w", connectionID, mapErr(err))
	}
	return t, nil
}

// OAuthTokenPut inserts or replaces the token state of t's connection and
// sets t.Version to the stored version: 1 for a new row, the previous
// version plus one otherwise. A connection that is missing or of another
// workspace is store.ErrNotFound. Put takes the connection's token lock, so
// it waits for an OAuthTokenUpdate in progress on any replica and is never
// overwritten by a refresh that started before it.
func (s *Store) OAuthTokenPut(ctx context.Context, t *store.OAuthToken) error {
	var stored *store.OAuthToken
	err := s.withTokenLock(ctx, t.WorkspaceID, t.ConnectionID, func(tx pgx.Tx) error {
		var err error
		stored, err = putToken(ctx, tx, t)
		return err
	})
	if err != nil {
		return fmt.Errorf("putting oauth token of connection %s: %w", t.ConnectionID, err)
	}
	t.Version = stored.Version
	return nil
}

// OAuthTokenDelete deletes the token state of the workspace's connection,
// after any OAuthTokenUpdate of it in progress on any replica.
func (s *Store) OAuthTokenDelete(ctx context.Context, workspaceID, connectionID string) error {
	err := s.withTokenLock(ctx, workspaceID, connectionID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM oauth_tokens WHERE workspace_id = $1 AND connection_id = $2`,
			workspaceID, connectionID)
		if err != nil {
			return err
		}
		return affectedOne(tag)
	})
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
// While fn runs, a transaction holds a transaction-level advisory lock on
// the connection, so calls on every replica sharing the database (and
// OAuthTokenPut and OAuthTokenDelete) wait for it; the row is re-read and
// written inside that transaction. Within one process, callers queue in Go
// first, so waiting holds at most one pool connection per OAuth connection.
// fn holds a pool connection and an open transaction for as long as it runs
// (mind idle_in_transaction_session_timeout), and must not call
// OAuthTokenPut, OAuthTokenDelete or OAuthTokenUpdate for the same
// connection, which would wait for itself.
func (s *Store) OAuthTokenUpdate(ctx context.Context, workspaceID, connectionID string,
	fn func(current *store.OAuthToken) (*store.OAuthToken, error)) (*store.OAuthToken, error) {
	var stored *store.OAuthToken
	err := s.withTokenLock(ctx, workspaceID, connectionID, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM connections WHERE workspace_id = $1 AND id = $2)`,
			workspaceID, connectionID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return store.ErrNotFound
		}
		current, err := getToken(ctx, tx, workspaceID, connectionID)
		if errors.Is(err, pgx.ErrNoRows) {
			current, err = nil, nil
		}
		if err != nil {
			return err
		}

		next, err := fn(current)
		if err != nil {
			return err
		}
		if next == nil {
			stored = current
			return nil
		}
		write := *next
		write.WorkspaceID, write.ConnectionID = workspaceID, connectionID
		stored, err = putToken(ctx, tx, &write)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("updating oauth token of connection %s: %w", connectionID, err)
	}
	return stored, nil
}

// getToken reads a token state; a missing row is pgx.ErrNoRows.
func getToken(ctx context.Context, q querier, workspaceID, connectionID string) (*store.OAuthToken, error) {
	return scanOAuthToken(q.QueryRow(ctx, `SELECT `+oauthTokenColumns+` FROM oauth_tokens
		WHERE workspace_id = $1 AND connection_id = $2`, workspaceID, connectionID))
}

// putToken upserts t within tx and returns the stored row. The caller holds
// the connection's token lock.
func putToken(ctx context.Context, tx pgx.Tx, t *store.OAuthToken) (*store.OAuthToken, error) {
	stored, err := scanOAuthToken(tx.QueryRow(ctx, oauthTokenUpsert,
		t.WorkspaceID, t.ConnectionID, t.AccessToken, t.RefreshToken, t.TokenType, t.Expiry, t.Scopes,
		t.Status, t.LastError, t.LastRefreshedAt, t.UpdatedAt))
	if err != nil {
		return nil, mapParentErr(err)
	}
	return stored, nil
}

func scanOAuthToken(row codec.Scanner) (*store.OAuthToken, error) {
	var t store.OAuthToken
	if err := row.Scan(&t.WorkspaceID, &t.ConnectionID, &t.AccessToken, &t.RefreshToken, &t.TokenType, &t.Expiry,
		&t.Scopes, &t.Status, &t.LastError, &t.LastRefreshedAt, &t.Version, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.Expiry = utcPtr(t.Expiry)
	t.LastRefreshedAt = utcPtr(t.LastRefreshedAt)
	t.UpdatedAt = t.UpdatedAt.UTC()
	return &t, nil
}

const oauthStateColumns = `state_hash, workspace_id, connection_id, code_verifier, redirect_url, created_at, expires_at`

// OAuthStateInsert inserts a pending authorization. A connection that is
// missing or of another workspace is store.ErrNotFound; a duplicate hash is
// store.ErrConflict.
func (s *Store) OAuthStateInsert(ctx context.Context, st *store.OAuthState) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO oauth_states (`+oauthStateColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		st.StateHash, st.WorkspaceID, st.ConnectionID, st.CodeVerifier, st.RedirectURL, st.CreatedAt, st.ExpiresAt)
	if err != nil {
		return fmt.Errorf("inserting oauth state: %w", mapParentErr(err))
	}
	return nil
}

// OAuthStateConsume deletes the state with the given hash and returns it
// unless it expired (ExpiresAt at or before now), which is store.ErrNotFound
// as a missing state is. The same statement deletes every other expired
// state, so abandoned authorizations do not pile up.
func (s *Store) OAuthStateConsume(ctx context.Context, stateHash string, now time.Time) (*store.OAuthState, error) {
	st, err := scanOAuthState(s.pool.QueryRow(ctx, `WITH
		consumed AS (DELETE FROM oauth_states WHERE state_hash = $1 RETURNING `+oauthStateColumns+`),
		swept AS (DELETE FROM oauth_states WHERE expires_at <= $2 AND state_hash <> $1)
		SELECT `+oauthStateColumns+` FROM consumed`, stateHash, now))
	if err != nil {
		return nil, fmt.Errorf("consuming oauth state: %w", mapErr(err))
	}
	if !now.Before(st.ExpiresAt) {
		return nil, fmt.Errorf("consuming oauth state: expired: %w", store.ErrNotFound)
	}
	return st, nil
}

func scanOAuthState(row codec.Scanner) (*store.OAuthState, error) {
	var st store.OAuthState
	if err := row.Scan(&st.StateHash, &st.WorkspaceID, &st.ConnectionID, &st.CodeVerifier, &st.RedirectURL,
		&st.CreatedAt, &st.ExpiresAt); err != nil {
		return nil, err
	}
	st.CreatedAt = st.CreatedAt.UTC()
	st.ExpiresAt = st.ExpiresAt.UTC()
	return &st, nil
}

package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

const apiKeyColumns = `id, workspace_id, name, role, agent_id, prefix, hash, created_at, revoked_at`

// APIKeyInsert inserts key. A duplicate ID or hash is store.ErrConflict.
func (s *Store) APIKeyInsert(ctx context.Context, key *store.APIKey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		key.ID, key.WorkspaceID, key.Name, key.Role, key.AgentID, key.Prefix, key.Hash, key.CreatedAt, key.RevokedAt)
	if err != nil {
		return fmt.Errorf("inserting api key %s: %w", key.ID, mapErr(err))
	}
	return nil
}

// APIKeyGetByHash returns the unrevoked key with the given hash, in any
// workspace.
func (s *Store) APIKeyGetByHash(ctx context.Context, hash []byte) (*store.APIKey, error) {
	key, err := scanAPIKey(s.pool.QueryRow(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash))
	if err != nil {
		return nil, fmt.Errorf("getting api key by hash: %w", mapErr(err))
	}
	return key, nil
}

// APIKeyList returns a page of the workspace's keys, revoked ones included,
// ordered by ID. Every ID sorts after "", so the first page needs no special
// case.
func (s *Store) APIKeyList(ctx context.Context, workspaceID string, p store.ListParams) ([]*store.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`, workspaceID, p.Cursor, p.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("listing api keys: %w", err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanAPIKey)
	if err != nil {
		return nil, fmt.Errorf("listing api keys: %w", err)
	}
	return list, nil
}

// APIKeyRevoke marks the key revoked at at. Revoking a revoked key keeps the
// first revocation time.
func (s *Store) APIKeyRevoke(ctx context.Context, workspaceID, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1)
		WHERE workspace_id = $2 AND id = $3`, at, workspaceID, id)
	if err == nil {
		err = affectedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("revoking api key %s: %w", id, mapErr(err))
	}
	return nil
}

// APIKeyCount counts the unrevoked keys of all workspaces.
func (s *Store) APIKeyCount(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE revoked_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting api keys: %w", err)
	}
	return n, nil
}

func scanAPIKey(row codec.Scanner) (*store.APIKey, error) {
	var key store.APIKey
	if err := row.Scan(&key.ID, &key.WorkspaceID, &key.Name, &key.Role, &key.AgentID, &key.Prefix, &key.Hash,
		&key.CreatedAt, &key.RevokedAt); err != nil {
		return nil, err
	}
	key.CreatedAt = key.CreatedAt.UTC()
	key.RevokedAt = utcPtr(key.RevokedAt)
	return &key, nil
}

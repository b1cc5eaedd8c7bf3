package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

const apiKeyColumns = `id, workspace_id, name, role, agent_id, prefix, hash, created_at, revoked_at`

// APIKeyInsert inserts key. A duplicate ID or hash is store.ErrConflict.
func (s *Store) APIKeyInsert(ctx context.Context, key *store.APIKey) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		key.ID, key.WorkspaceID, key.Name, key.Role, key.AgentID, key.Prefix, key.Hash,
		micros(key.CreatedAt), microsPtr(key.RevokedAt))
	if err != nil {
		return fmt.Errorf("inserting api key %s: %w", key.ID, mapErr(err))
	}
	return nil
}

// APIKeyGetByHash returns the unrevoked key with the given hash, in any
// workspace.
func (s *Store) APIKeyGetByHash(ctx context.Context, hash []byte) (*store.APIKey, error) {
	key, err := scanAPIKey(s.read.QueryRowContext(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash))
	if err != nil {
		return nil, fmt.Errorf("getting api key by hash: %w", mapErr(err))
	}
	return key, nil
}

// APIKeyList returns a page of the workspace's keys, revoked ones included,
// ordered by ID. Every ID sorts after "", so the first page needs no special
// case.
func (s *Store) APIKeyList(ctx context.Context, workspaceID string, p store.ListParams) ([]*store.APIKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`,
		workspaceID, p.Cursor, p.EffectiveLimit())
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
	res, err := s.write.ExecContext(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?)
		WHERE workspace_id = ? AND id = ?`, micros(at), workspaceID, id)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("revoking api key %s: %w", id, mapErr(err))
	}
	return nil
}

// APIKeyCount counts the unrevoked keys of all workspaces.
func (s *Store) APIKeyCount(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE revoked_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting api keys: %w", err)
	}
	return n, nil
}

func scanAPIKey(row codec.Scanner) (*store.APIKey, error) {
	var (
		key       store.APIKey
		createdAt int64
		revokedAt sql.NullInt64
	)
	if err := row.Scan(&key.ID, &key.WorkspaceID, &key.Name, &key.Role, &key.AgentID, &key.Prefix, &key.Hash,
		&createdAt, &revokedAt); err != nil {
		return nil, err
	}
	key.CreatedAt = fromMicros(createdAt)
	key.RevokedAt = fromMicrosPtr(revokedAt)
	return &key, nil
}

package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/store"
)

const sessionColumns = `id_hash, workspace_id, key_id, csrf_token, created_at, expires_at`

// SessionInsert inserts a session. A missing workspace is store.ErrNotFound;
// a duplicate hash is store.ErrConflict.
func (s *Store) SessionInsert(ctx context.Context, sess *store.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		sess.IDHash, sess.WorkspaceID, sess.KeyID, sess.CSRFToken, sess.CreatedAt, sess.ExpiresAt)
	if err != nil {
		return fmt.Errorf("inserting session: %w", mapParentErr(err))
	}
	return nil
}

// SessionGet returns the session with the given hash unless it expired
// (ExpiresAt at or before now).
func (s *Store) SessionGet(ctx context.Context, idHash string, now time.Time) (*store.Session, error) {
	var sess store.Session
	err := s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id_hash = $1 AND expires_at > $2`,
		idHash, now).Scan(&sess.IDHash, &sess.WorkspaceID, &sess.KeyID, &sess.CSRFToken, &sess.CreatedAt, &sess.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("getting session: %w", mapErr(err))
	}
	sess.CreatedAt = sess.CreatedAt.UTC()
	sess.ExpiresAt = sess.ExpiresAt.UTC()
	return &sess, nil
}

// SessionDelete deletes the session with the given hash, expired or not.
func (s *Store) SessionDelete(ctx context.Context, idHash string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	if err == nil {
		err = affectedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("deleting session: %w", mapErr(err))
	}
	return nil
}

// SessionDeleteExpired deletes every session that expired at or before now
// and returns how many went.
func (s *Store) SessionDeleteExpired(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("deleting expired sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// SessionDeleteByKey ends the workspace's sessions signed in with keyID.
func (s *Store) SessionDeleteByKey(ctx context.Context, workspaceID, keyID string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE workspace_id = $1 AND key_id = $2`, workspaceID, keyID)
	if err != nil {
		return 0, fmt.Errorf("deleting sessions of key: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

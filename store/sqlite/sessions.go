package sqlite

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
	_, err := s.write.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		sess.IDHash, sess.WorkspaceID, sess.KeyID, sess.CSRFToken, micros(sess.CreatedAt), micros(sess.ExpiresAt))
	if err != nil {
		return fmt.Errorf("inserting session: %w", mapParentErr(err))
	}
	return nil
}

// SessionGet returns the session with the given hash unless it expired
// (ExpiresAt at or before now).
func (s *Store) SessionGet(ctx context.Context, idHash string, now time.Time) (*store.Session, error) {
	var (
		sess                 store.Session
		createdAt, expiresAt int64
	)
	err := s.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id_hash = ? AND expires_at > ?`,
		idHash, micros(now)).Scan(&sess.IDHash, &sess.WorkspaceID, &sess.KeyID, &sess.CSRFToken, &createdAt, &expiresAt)
	if err != nil {
		return nil, fmt.Errorf("getting session: %w", mapErr(err))
	}
	sess.CreatedAt = fromMicros(createdAt)
	sess.ExpiresAt = fromMicros(expiresAt)
	return &sess, nil
}

// SessionDelete deletes the session with the given hash, expired or not.
func (s *Store) SessionDelete(ctx context.Context, idHash string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("deleting session: %w", mapErr(err))
	}
	return nil
}

// SessionDeleteExpired deletes every session that expired at or before now
// and returns how many went.
func (s *Store) SessionDeleteExpired(ctx context.Context, now time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, micros(now))
	if err != nil {
		return 0, fmt.Errorf("deleting expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("deleting expired sessions: %w", err)
	}
	return int(n), nil
}

// SessionDeleteByKey ends the workspace's sessions signed in with keyID.
func (s *Store) SessionDeleteByKey(ctx context.Context, workspaceID, keyID string) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE workspace_id = ? AND key_id = ?`, workspaceID, keyID)
	if err != nil {
		return 0, fmt.Errorf("deleting sessions of key: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/store"
)

// IdempotencyClaim implements store.GuardStore.
func (s *Store) IdempotencyClaim(ctx context.Context, c *store.IdempotencyClaim, since, now time.Time) (*store.IdempotencyClaim, bool, error) {
	var runID string
	err := s.write.QueryRowContext(ctx, `INSERT INTO idempotency_claims
			(workspace_id, agent_id, key, tool_name, run_id, created_at, lease_until)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, agent_id, key) DO UPDATE SET
			tool_name = excluded.tool_name, run_id = excluded.run_id,
			created_at = excluded.created_at, lease_until = excluded.lease_until
		WHERE idempotency_claims.created_at < ?
			OR (idempotency_claims.lease_until < ? AND NOT EXISTS (SELECT 1 FROM runs
				WHERE runs.workspace_id = idempotency_claims.workspace_id AND runs.id = idempotency_claims.run_id))
		RETURNING run_id`,
		c.WorkspaceID, c.AgentID, c.Key, c.ToolName, c.RunID, micros(c.CreatedAt), micros(c.LeaseUntil),
		micros(since), micros(now)).Scan(&runID)
	switch {
	case err == nil:
		return c, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, false, fmt.Errorf("claiming idempotency key: %w", mapParentErr(err))
	}
	held := &store.IdempotencyClaim{WorkspaceID: c.WorkspaceID, AgentID: c.AgentID, Key: c.Key}
	var created, lease int64
	err = s.write.QueryRowContext(ctx, `SELECT tool_name, run_id, created_at, lease_until FROM idempotency_claims
		WHERE workspace_id = ? AND agent_id = ? AND key = ?`, c.WorkspaceID, c.AgentID, c.Key).
		Scan(&held.ToolName, &held.RunID, &created, &lease)
	if err != nil {
		return nil, false, fmt.Errorf("reading idempotency claim: %w", mapErr(err))
	}
	held.CreatedAt, held.LeaseUntil = fromMicros(created), fromMicros(lease)
	return held, false, nil
}

// IdempotencyRelease implements store.GuardStore.
func (s *Store) IdempotencyRelease(ctx context.Context, workspaceID, agentID, key, runID string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM idempotency_claims
		WHERE workspace_id = ? AND agent_id = ? AND key = ? AND run_id = ?`, workspaceID, agentID, key, runID)
	if err != nil {
		return fmt.Errorf("releasing idempotency key: %w", err)
	}
	return nil
}

// ReplayFirst implements store.GuardStore.
func (s *Store) ReplayFirst(ctx context.Context, key string, now, until time.Time) (bool, error) {
	var got string
	err := s.write.QueryRowContext(ctx, `INSERT INTO replay_guard (key, expires_at) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_guard.expires_at <= ?
		RETURNING key`, key, micros(until), micros(now)).Scan(&got)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	}
	return false, fmt.Errorf("recording a signed request: %w", err)
}

// GuardsDeleteExpired implements store.GuardStore.
func (s *Store) GuardsDeleteExpired(ctx context.Context, since, now time.Time) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []struct {
			sql string
			arg time.Time
		}{
			{`DELETE FROM idempotency_claims WHERE created_at < ?`, since},
			{`DELETE FROM replay_guard WHERE expires_at <= ?`, now},
		} {
			res, err := tx.ExecContext(ctx, q.sql, micros(q.arg))
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += m
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("deleting expired guards: %w", err)
	}
	return int(n), nil
}

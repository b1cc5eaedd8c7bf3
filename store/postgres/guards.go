package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/store"
)

// IdempotencyClaim implements store.GuardStore.
func (s *Store) IdempotencyClaim(ctx context.Context, c *store.IdempotencyClaim, since, now time.Time) (*store.IdempotencyClaim, bool, error) {
	var runID string
	err := s.pool.QueryRow(ctx, `INSERT INTO idempotency_claims
			(workspace_id, agent_id, key, tool_name, run_id, created_at, lease_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (workspace_id, agent_id, key) DO UPDATE SET
			tool_name = excluded.tool_name, run_id = excluded.run_id,
			created_at = excluded.created_at, lease_until = excluded.lease_until
		WHERE idempotency_claims.created_at < $8
			OR (idempotency_claims.lease_until < $9 AND NOT EXISTS (SELECT 1 FROM runs
				WHERE runs.workspace_id = idempotency_claims.workspace_id AND runs.id = idempotency_claims.run_id))
		RETURNING run_id`,
		c.WorkspaceID, c.AgentID, c.Key, c.ToolName, c.RunID, c.CreatedAt, c.LeaseUntil, since, now).Scan(&runID)
	switch {
	case err == nil:
		return c, true, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, false, fmt.Errorf("claiming idempotency key: %w", mapParentErr(err))
	}
	held := &store.IdempotencyClaim{WorkspaceID: c.WorkspaceID, AgentID: c.AgentID, Key: c.Key}
	err = s.pool.QueryRow(ctx, `SELECT tool_name, run_id, created_at, lease_until FROM idempotency_claims
		WHERE workspace_id = $1 AND agent_id = $2 AND key = $3`, c.WorkspaceID, c.AgentID, c.Key).
		Scan(&held.ToolName, &held.RunID, &held.CreatedAt, &held.LeaseUntil)
	if err != nil {
		// The live claim was released between the two statements.
		return nil, false, fmt.Errorf("reading idempotency claim: %w", mapErr(err))
	}
	held.CreatedAt, held.LeaseUntil = held.CreatedAt.UTC(), held.LeaseUntil.UTC()
	return held, false, nil
}

// IdempotencyRelease implements store.GuardStore.
func (s *Store) IdempotencyRelease(ctx context.Context, workspaceID, agentID, key, runID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_claims
		WHERE workspace_id = $1 AND agent_id = $2 AND key = $3 AND run_id = $4`, workspaceID, agentID, key, runID)
	if err != nil {
		return fmt.Errorf("releasing idempotency key: %w", err)
	}
	return nil
}

// ReplayFirst implements store.GuardStore.
func (s *Store) ReplayFirst(ctx context.Context, key string, now, until time.Time) (bool, error) {
	var got string
	err := s.pool.QueryRow(ctx, `INSERT INTO replay_guard (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_guard.expires_at <= $3
		RETURNING key`, key, until, now).Scan(&got)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	}
	return false, fmt.Errorf("recording a signed request: %w", err)
}

// GuardsDeleteExpired implements store.GuardStore.
func (s *Store) GuardsDeleteExpired(ctx context.Context, since, now time.Time) (int, error) {
	a, err := s.pool.Exec(ctx, `DELETE FROM idempotency_claims WHERE created_at < $1`, since)
	if err != nil {
		return 0, fmt.Errorf("deleting expired idempotency claims: %w", err)
	}
	b, err := s.pool.Exec(ctx, `DELETE FROM replay_guard WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("deleting expired replay records: %w", err)
	}
	return int(a.RowsAffected() + b.RowsAffected()), nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

// ConfirmationInsert implements store.GuardrailStore.
func (s *Store) ConfirmationInsert(ctx context.Context, c *store.Confirmation) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO confirmations
		(token_hash, workspace_id, agent_id, tool_id, tool_version, conversation_id, args_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.TokenHash, c.WorkspaceID, c.AgentID, c.ToolID, c.ToolVersion, c.ConversationID, c.ArgsHash,
		micros(c.CreatedAt), micros(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("storing confirmation: %w", mapParentErr(err))
	}
	return nil
}

// ConfirmationConsume implements store.GuardrailStore.
func (s *Store) ConfirmationConsume(ctx context.Context, c *store.Confirmation, now time.Time) (bool, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM confirmations
		WHERE token_hash = ? AND workspace_id = ? AND agent_id = ? AND tool_id = ? AND tool_version = ?
			AND conversation_id = ? AND args_hash = ? AND expires_at > ?`,
		c.TokenHash, c.WorkspaceID, c.AgentID, c.ToolID, c.ToolVersion, c.ConversationID, c.ArgsHash, micros(now))
	if err != nil {
		return false, fmt.Errorf("consuming confirmation: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("consuming confirmation: %w", err)
	}
	return n == 1, nil
}

const approvalColumns = `workspace_id, run_id, agent_id, tool_name, status, callback_url, timeout_ms, requested_at,
	expires_at, decided_by, decided_at, reason`

// ApprovalRequest implements store.GuardrailStore.
func (s *Store) ApprovalRequest(ctx context.Context, run *store.Run, a *store.Approval) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.ApprovalRequestTx(ctx, tx, run, a) })
}

// ApprovalRequestTx stores a run awaiting approval and its approval within
// tx (begun on s.DB()), so that the job announcing it commits with them.
func (s *Store) ApprovalRequestTx(ctx context.Context, tx *sql.Tx, run *store.Run, a *store.Approval) error {
	if err := s.RunInsertManyTx(ctx, tx, []*store.Run{run}); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO approvals (`+approvalColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.WorkspaceID, a.RunID, a.AgentID, a.ToolName, a.Status, a.CallbackURL, a.TimeoutMS, micros(a.RequestedAt),
		micros(a.ExpiresAt), a.DecidedBy, microsPtr(a.DecidedAt), a.Reason)
	if err != nil {
		return fmt.Errorf("storing approval of run %s: %w", a.RunID, mapParentErr(err))
	}
	return nil
}

// ApprovalGet implements store.GuardrailStore.
func (s *Store) ApprovalGet(ctx context.Context, workspaceID, runID string) (*store.Approval, error) {
	a, err := scanApproval(s.read.QueryRowContext(ctx, `SELECT `+approvalColumns+` FROM approvals
		WHERE workspace_id = ? AND run_id = ?`, workspaceID, runID))
	if err != nil {
		return nil, fmt.Errorf("getting approval of run %s: %w", runID, mapErr(err))
	}
	return a, nil
}

// ApprovalList implements store.GuardrailStore.
func (s *Store) ApprovalList(ctx context.Context, workspaceID, status string, p store.ListParams) ([]*store.Approval, error) {
	where, args := []string{"workspace_id = ?", "run_id > ?"}, []any{workspaceID, p.Cursor}
	if status != "" {
		where, args = append(where, "status = ?"), append(args, status)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE `+strings.Join(where, " AND ")+
		` ORDER BY run_id LIMIT ?`, append(args, p.EffectiveLimit())...)
	if err != nil {
		return nil, fmt.Errorf("listing approvals: %w", err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanApproval)
	if err != nil {
		return nil, fmt.Errorf("listing approvals: %w", err)
	}
	return list, nil
}

// ApprovalListExpired implements store.GuardrailStore.
func (s *Store) ApprovalListExpired(ctx context.Context, now time.Time, limit int) ([]*store.Approval, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+approvalColumns+` FROM approvals
		WHERE status = ? AND expires_at <= ? ORDER BY expires_at LIMIT ?`, store.ApprovalPending, micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("listing expired approvals: %w", err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanApproval)
	if err != nil {
		return nil, fmt.Errorf("listing expired approvals: %w", err)
	}
	return list, nil
}

// ApprovalDecide implements store.GuardrailStore.
func (s *Store) ApprovalDecide(ctx context.Context, d *store.ApprovalDecision) (*store.Approval, error) {
	var a *store.Approval
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = s.ApprovalDecideTx(ctx, tx, d)
		return err
	})
	return a, err
}

// ApprovalDecideTx is ApprovalDecide within tx (begun on s.DB()), so that
// the job of an approved run commits with the decision.
func (s *Store) ApprovalDecideTx(ctx context.Context, tx *sql.Tx, d *store.ApprovalDecision) (*store.Approval, error) {
	a, err := scanApproval(tx.QueryRowContext(ctx, `UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, reason = ?
		WHERE workspace_id = ? AND run_id = ? AND status = ?
		RETURNING `+approvalColumns,
		d.Status, d.DecidedBy, micros(d.At), d.Reason, d.WorkspaceID, d.RunID, store.ApprovalPending))
	if errors.Is(err, sql.ErrNoRows) {
		var status string
		err = tx.QueryRowContext(ctx, `SELECT status FROM approvals WHERE workspace_id = ? AND run_id = ?`,
			d.WorkspaceID, d.RunID).Scan(&status)
		if err == nil {
			return nil, fmt.Errorf("deciding approval of run %s: it is already %s: %w", d.RunID, status, store.ErrConflict)
		}
		return nil, fmt.Errorf("deciding approval of run %s: %w", d.RunID, mapErr(err))
	}
	if err != nil {
		return nil, fmt.Errorf("deciding approval of run %s: %w", d.RunID, err)
	}
	var finished any
	if d.RunStatus == store.RunStatusSucceeded || d.RunStatus == store.RunStatusFailed {
		finished = micros(d.At)
	}
	res, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, outcome = ?, error = ?, finished_at = ?
		WHERE workspace_id = ? AND id = ?`, d.RunStatus, d.RunOutcome, d.RunError, finished, d.WorkspaceID, d.RunID)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return nil, fmt.Errorf("updating run %s of an approval: %w", d.RunID, mapErr(err))
	}
	return a, nil
}

func scanApproval(row codec.Scanner) (*store.Approval, error) {
	var (
		a                      store.Approval
		requestedAt, expiresAt int64
		decidedAt              sql.NullInt64
	)
	if err := row.Scan(&a.WorkspaceID, &a.RunID, &a.AgentID, &a.ToolName, &a.Status, &a.CallbackURL, &a.TimeoutMS,
		&requestedAt, &expiresAt, &a.DecidedBy, &decidedAt, &a.Reason); err != nil {
		return nil, err
	}
	a.RequestedAt, a.ExpiresAt, a.DecidedAt = fromMicros(requestedAt), fromMicros(expiresAt), fromMicrosPtr(decidedAt)
	return &a, nil
}

// CacheGet implements store.GuardrailStore.
func (s *Store) CacheGet(ctx context.Context, workspaceID, key string, now time.Time) ([]byte, error) {
	var value []byte
	err := s.read.QueryRowContext(ctx, `SELECT value FROM cache_entries
		WHERE workspace_id = ? AND key = ? AND expires_at > ?`, workspaceID, key, micros(now)).Scan(&value)
	if err != nil {
		return nil, fmt.Errorf("reading cache entry: %w", mapErr(err))
	}
	return value, nil
}

// CachePut implements store.GuardrailStore.
func (s *Store) CachePut(ctx context.Context, e *store.CacheEntry) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO cache_entries (workspace_id, key, value, size, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, key) DO UPDATE SET value = excluded.value, size = excluded.size,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		e.WorkspaceID, e.Key, e.Value, len(e.Value), micros(e.CreatedAt), micros(e.ExpiresAt))
	if err != nil {
		return fmt.Errorf("storing cache entry: %w", mapParentErr(err))
	}
	return nil
}

// WorkspaceSettingsGet implements store.GuardrailStore.
func (s *Store) WorkspaceSettingsGet(ctx context.Context, workspaceID string) (*store.WorkspaceSettings, error) {
	ws := &store.WorkspaceSettings{WorkspaceID: workspaceID}
	var (
		webhook   sql.NullString
		updatedAt sql.NullInt64
	)
	err := s.read.QueryRowContext(ctx, `SELECT s.approval_webhook_url, s.updated_at FROM workspaces w
		LEFT JOIN workspace_settings s ON s.workspace_id = w.id WHERE w.id = ?`, workspaceID).Scan(&webhook, &updatedAt)
	if err != nil {
		return nil, fmt.Errorf("getting settings of workspace %s: %w", workspaceID, mapErr(err))
	}
	ws.ApprovalWebhookURL = webhook.String
	if updatedAt.Valid {
		ws.UpdatedAt = fromMicros(updatedAt.Int64)
	}
	return ws, nil
}

// WorkspaceSettingsPut implements store.GuardrailStore.
func (s *Store) WorkspaceSettingsPut(ctx context.Context, ws *store.WorkspaceSettings) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO workspace_settings (workspace_id, approval_webhook_url, updated_at)
		VALUES (?, ?, ?)
		ON CONFLICT (workspace_id) DO UPDATE SET approval_webhook_url = excluded.approval_webhook_url,
			updated_at = excluded.updated_at`, ws.WorkspaceID, ws.ApprovalWebhookURL, micros(ws.UpdatedAt))
	if err != nil {
		return fmt.Errorf("storing settings of workspace %s: %w", ws.WorkspaceID, mapParentErr(err))
	}
	return nil
}

// GuardrailsSweep implements store.GuardrailStore.
func (s *Store) GuardrailsSweep(ctx context.Context, p store.GuardrailSweep) (int, error) {
	now := micros(p.Now)
	type query struct {
		sql  string
		args []any
	}
	queries := []query{
		{`DELETE FROM confirmations WHERE expires_at <= ?`, []any{now}},
		{`DELETE FROM cache_entries WHERE expires_at <= ?`, []any{now}},
		{`DELETE FROM approvals WHERE status <> ? AND decided_at < ?
			AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.workspace_id = approvals.workspace_id AND runs.id = approvals.run_id)`,
			[]any{store.ApprovalPending, micros(p.DecidedBefore)}},
	}
	if p.CacheMaxBytes > 0 {
		// The entries that expire last are kept, up to the bound.
		queries = append(queries, query{`DELETE FROM cache_entries WHERE (workspace_id, key) IN (
			SELECT workspace_id, key FROM (SELECT workspace_id, key,
				sum(size) OVER (PARTITION BY workspace_id ORDER BY expires_at DESC, key) AS running
				FROM cache_entries) WHERE running > ?)`, []any{p.CacheMaxBytes}})
	}
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range queries {
			res, err := tx.ExecContext(ctx, q.sql, q.args...)
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
		return 0, fmt.Errorf("sweeping guardrails: %w", err)
	}
	return int(n) + s.limits.sweep(p.Now), nil
}

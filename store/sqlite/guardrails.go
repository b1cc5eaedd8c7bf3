package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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
	if err := s.RunInsertTx(ctx, tx, run); err != nil {
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

// rateTake is the GCRA step of one bucket: the theoretical arrival time
// moves one interval past max(itself, now) unless that would put it more
// than burst intervals ahead of now. It returns the new time, or no row
// when the call is refused.
const rateTake = `INSERT INTO rate_limits (workspace_id, key, tat) VALUES (?1, ?2, ?3 + ?4)
	ON CONFLICT (workspace_id, key) DO UPDATE SET tat = max(rate_limits.tat, ?3) + ?4
	WHERE max(rate_limits.tat, ?3) + ?4 - ?3 <= ?5
	RETURNING tat`

// RateTake implements store.GuardrailStore. SQLite has one writer: the
// buckets are taken in one transaction, all or none.
func (s *Store) RateTake(ctx context.Context, workspaceID string, buckets []store.RateBucket, now time.Time) (time.Duration, error) {
	var wait time.Duration
	errRefused := errors.New("refused")
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, b := range sortedBuckets(buckets) {
			interval := b.Interval.Microseconds()
			var tat int64
			err := tx.QueryRowContext(ctx, rateTake, workspaceID, b.Key, micros(now), interval, int64(b.Burst)*interval).Scan(&tat)
			if errors.Is(err, sql.ErrNoRows) {
				if err := tx.QueryRowContext(ctx, `SELECT tat FROM rate_limits WHERE workspace_id = ? AND key = ?`,
					workspaceID, b.Key).Scan(&tat); err != nil {
					return err
				}
				wait = rateWait(tat, micros(now), interval, b.Burst)
				return errRefused
			}
			if err != nil {
				return mapParentErr(err)
			}
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		return wait, nil
	}
	if err != nil {
		return 0, fmt.Errorf("taking from rate limits: %w", err)
	}
	return 0, nil
}

// sortedBuckets orders buckets by key, so that concurrent takers lock
// them in one order.
func sortedBuckets(buckets []store.RateBucket) []store.RateBucket {
	if len(buckets) < 2 {
		return buckets
	}
	out := slices.Clone(buckets)
	slices.SortFunc(out, func(a, b store.RateBucket) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// rateWait is how long until a call would be admitted by a bucket whose
// theoretical arrival time is tat (all in microseconds).
func rateWait(tat, now, interval int64, burst int) time.Duration {
	return time.Duration(max(max(tat, now)+interval-now-int64(burst)*interval, 1)) * time.Microsecond
}

// SlotAcquire implements store.GuardrailStore.
func (s *Store) SlotAcquire(ctx context.Context, workspaceID, key string, limit int, holder string, now, until time.Time) (store.SlotLease, bool, error) {
	lease := store.SlotLease{WorkspaceID: workspaceID, Key: key, Holder: holder}
	err := s.write.QueryRowContext(ctx, `WITH RECURSIVE slots(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM slots WHERE n + 1 < ?3)
		INSERT INTO concurrency_slots (workspace_id, key, slot, holder, expires_at)
		SELECT ?1, ?2, n, ?4, ?5 FROM slots
		WHERE NOT EXISTS (SELECT 1 FROM concurrency_slots c
			WHERE c.workspace_id = ?1 AND c.key = ?2 AND c.slot = n AND c.expires_at > ?6)
		ORDER BY n LIMIT 1
		ON CONFLICT (workspace_id, key, slot) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE concurrency_slots.expires_at <= ?6
		RETURNING slot`, workspaceID, key, limit, holder, micros(until), micros(now)).Scan(&lease.Slot)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return lease, false, nil
	case err != nil:
		return lease, false, fmt.Errorf("acquiring a concurrency slot: %w", mapParentErr(err))
	}
	return lease, true, nil
}

// SlotRelease implements store.GuardrailStore.
func (s *Store) SlotRelease(ctx context.Context, l store.SlotLease) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM concurrency_slots
		WHERE workspace_id = ? AND key = ? AND slot = ? AND holder = ?`, l.WorkspaceID, l.Key, l.Slot, l.Holder)
	if err != nil {
		return fmt.Errorf("releasing a concurrency slot: %w", err)
	}
	return nil
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
		{`DELETE FROM concurrency_slots WHERE expires_at <= ?`, []any{now}},
		{`DELETE FROM rate_limits WHERE tat <= ?`, []any{now}},
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
	return int(n), nil
}

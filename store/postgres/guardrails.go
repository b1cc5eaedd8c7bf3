package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

// ConfirmationInsert implements store.GuardrailStore.
func (s *Store) ConfirmationInsert(ctx context.Context, c *store.Confirmation) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO confirmations
		(token_hash, workspace_id, agent_id, tool_id, tool_version, conversation_id, args_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		c.TokenHash, c.WorkspaceID, c.AgentID, c.ToolID, c.ToolVersion, c.ConversationID, c.ArgsHash, c.CreatedAt, c.ExpiresAt)
	if err != nil {
		return fmt.Errorf("storing confirmation: %w", mapParentErr(err))
	}
	return nil
}

// ConfirmationConsume implements store.GuardrailStore. The DELETE decides:
// of two replicas consuming one token, one deletes the row.
func (s *Store) ConfirmationConsume(ctx context.Context, c *store.Confirmation, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM confirmations
		WHERE token_hash = $1 AND workspace_id = $2 AND agent_id = $3 AND tool_id = $4 AND tool_version = $5
			AND conversation_id = $6 AND args_hash = $7 AND expires_at > $8`,
		c.TokenHash, c.WorkspaceID, c.AgentID, c.ToolID, c.ToolVersion, c.ConversationID, c.ArgsHash, now)
	if err != nil {
		return false, fmt.Errorf("consuming confirmation: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

const approvalColumns = `workspace_id, run_id, agent_id, tool_name, status, callback_url, timeout_ms, requested_at,
	expires_at, decided_by, decided_at, reason`

// ApprovalRequest implements store.GuardrailStore.
func (s *Store) ApprovalRequest(ctx context.Context, run *store.Run, a *store.Approval) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return s.ApprovalRequestTx(ctx, tx, run, a) })
}

// ApprovalRequestTx stores a run awaiting approval and its approval within
// tx, so that the job announcing it commits with them.
func (s *Store) ApprovalRequestTx(ctx context.Context, tx pgx.Tx, run *store.Run, a *store.Approval) error {
	if err := s.RunInsertManyTx(ctx, tx, []*store.Run{run}); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO approvals (`+approvalColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		a.WorkspaceID, a.RunID, a.AgentID, a.ToolName, a.Status, a.CallbackURL, a.TimeoutMS, a.RequestedAt,
		a.ExpiresAt, a.DecidedBy, a.DecidedAt, a.Reason)
	if err != nil {
		return fmt.Errorf("storing approval of run %s: %w", a.RunID, mapParentErr(err))
	}
	return nil
}

// ApprovalGet implements store.GuardrailStore.
func (s *Store) ApprovalGet(ctx context.Context, workspaceID, runID string) (*store.Approval, error) {
	a, err := scanApproval(s.pool.QueryRow(ctx, `SELECT `+approvalColumns+` FROM approvals
		WHERE workspace_id = $1 AND run_id = $2`, workspaceID, runID))
	if err != nil {
		return nil, fmt.Errorf("getting approval of run %s: %w", runID, mapErr(err))
	}
	return a, nil
}

// ApprovalList implements store.GuardrailStore.
func (s *Store) ApprovalList(ctx context.Context, workspaceID, status string, p store.ListParams) ([]*store.Approval, error) {
	where, args := []string{"workspace_id = $1", "run_id > $2"}, []any{workspaceID, p.Cursor}
	if status != "" {
		args = append(args, status)
		where = append(where, "status = $"+strconv.Itoa(len(args)))
	}
	args = append(args, p.EffectiveLimit())
	rows, err := s.pool.Query(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE `+strings.Join(where, " AND ")+
		` ORDER BY run_id LIMIT $`+strconv.Itoa(len(args)), args...)
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
	rows, err := s.pool.Query(ctx, `SELECT `+approvalColumns+` FROM approvals
		WHERE status = $1 AND expires_at <= $2 ORDER BY expires_at LIMIT $3`, store.ApprovalPending, now, limit)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		a, err = s.ApprovalDecideTx(ctx, tx, d)
		return err
	})
	return a, err
}

// ApprovalDecideTx is ApprovalDecide within tx, so that the job of an
// approved run commits with the decision. The conditional UPDATE decides
// between replicas: an approval is decided once.
func (s *Store) ApprovalDecideTx(ctx context.Context, tx pgx.Tx, d *store.ApprovalDecision) (*store.Approval, error) {
	a, err := scanApproval(tx.QueryRow(ctx, `UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3, reason = $4
		WHERE workspace_id = $5 AND run_id = $6 AND status = $7
		RETURNING `+approvalColumns,
		d.Status, d.DecidedBy, d.At, d.Reason, d.WorkspaceID, d.RunID, store.ApprovalPending))
	if errors.Is(err, pgx.ErrNoRows) {
		var status string
		err = tx.QueryRow(ctx, `SELECT status FROM approvals WHERE workspace_id = $1 AND run_id = $2`,
			d.WorkspaceID, d.RunID).Scan(&status)
		if err == nil {
			return nil, fmt.Errorf("deciding approval of run %s: it is already %s: %w", d.RunID, status, store.ErrConflict)
		}
		return nil, fmt.Errorf("deciding approval of run %s: %w", d.RunID, mapErr(err))
	}
	if err != nil {
		return nil, fmt.Errorf("deciding approval of run %s: %w", d.RunID, err)
	}
	var finished *time.Time
	if d.RunStatus == store.RunStatusSucceeded || d.RunStatus == store.RunStatusFailed {
		finished = &d.At
	}
	tag, err := tx.Exec(ctx, `UPDATE runs SET status = $1, outcome = $2, error = $3, finished_at = $4
		WHERE workspace_id = $5 AND id = $6`, d.RunStatus, d.RunOutcome, d.RunError, finished, d.WorkspaceID, d.RunID)
	if err == nil {
		err = affectedOne(tag)
	}
	if err != nil {
		return nil, fmt.Errorf("updating run %s of an approval: %w", d.RunID, mapErr(err))
	}
	return a, nil
}

func scanApproval(row codec.Scanner) (*store.Approval, error) {
	var a store.Approval
	if err := row.Scan(&a.WorkspaceID, &a.RunID, &a.AgentID, &a.ToolName, &a.Status, &a.CallbackURL, &a.TimeoutMS,
		&a.RequestedAt, &a.ExpiresAt, &a.DecidedBy, &a.DecidedAt, &a.Reason); err != nil {
		return nil, err
	}
	a.RequestedAt, a.ExpiresAt, a.DecidedAt = a.RequestedAt.UTC(), a.ExpiresAt.UTC(), utcPtr(a.DecidedAt)
	return &a, nil
}

// rateTake is the GCRA step of one bucket, in one statement: the
// theoretical arrival time moves one interval past max(itself, now) unless
// that would put it more than burst intervals ahead of now. The row lock
// of the upsert orders concurrent takers of a key across replicas. It
// returns the new time, or no row when the call is refused.
const rateTake = `INSERT INTO rate_limits (workspace_id, key, tat) VALUES ($1, $2, $3::bigint + $4::bigint)
	ON CONFLICT (workspace_id, key) DO UPDATE SET tat = GREATEST(rate_limits.tat, $3::bigint) + $4::bigint
	WHERE GREATEST(rate_limits.tat, $3::bigint) + $4::bigint - $3::bigint <= $5::bigint
	RETURNING tat`

// RateTake implements store.GuardrailStore. One bucket is one statement;
// several are taken in one transaction (in key order), all or none.
func (s *Store) RateTake(ctx context.Context, workspaceID string, buckets []store.RateBucket, now time.Time) (time.Duration, error) {
	nowUS := now.UnixMicro()
	take := func(q interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}, b store.RateBucket) (time.Duration, error) {
		interval := b.Interval.Microseconds()
		var tat int64
		err := q.QueryRow(ctx, rateTake, workspaceID, b.Key, nowUS, interval, int64(b.Burst)*interval).Scan(&tat)
		if errors.Is(err, pgx.ErrNoRows) {
			if err := q.QueryRow(ctx, `SELECT tat FROM rate_limits WHERE workspace_id = $1 AND key = $2`,
				workspaceID, b.Key).Scan(&tat); err != nil {
				return 0, err
			}
			return rateWait(tat, nowUS, interval, b.Burst), nil
		}
		return 0, mapParentErr(err)
	}
	if len(buckets) == 1 {
		wait, err := take(s.pool, buckets[0])
		if err != nil {
			return 0, fmt.Errorf("taking from a rate limit: %w", err)
		}
		return wait, nil
	}
	var wait time.Duration
	errRefused := errors.New("refused")
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		for _, b := range sortedBuckets(buckets) {
			w, err := take(tx, b)
			if err != nil {
				return err
			}
			if w > 0 {
				wait = w
				return errRefused // rolls back the buckets already taken
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
	out := slices.Clone(buckets)
	slices.SortFunc(out, func(a, b store.RateBucket) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// rateWait is how long until a call would be admitted by a bucket whose
// theoretical arrival time is tat (all in microseconds).
func rateWait(tat, now, interval int64, burst int) time.Duration {
	return time.Duration(max(max(tat, now)+interval-now-int64(burst)*interval, 1)) * time.Microsecond
}

// SlotAcquire implements store.GuardrailStore. Each slot is a row; a free
// one (absent or expired) is taken by a conditional upsert, which the row
// lock makes exclusive across replicas. Acquirers that picked the same
// free slot lose to the first and try again while any slot is free: each
// round some acquirer wins one, so at most limit+1 rounds are needed.
func (s *Store) SlotAcquire(ctx context.Context, workspaceID, key string, limit int, holder string, now, until time.Time) (store.SlotLease, bool, error) {
	lease := store.SlotLease{WorkspaceID: workspaceID, Key: key, Holder: holder}
	for range limit + 1 {
		err := s.pool.QueryRow(ctx, slotCandidates+`
			INSERT INTO concurrency_slots (workspace_id, key, slot, holder, expires_at)
			SELECT $1, $2, n, $4, $5 FROM candidates WHERE n < $3::int
			ORDER BY random() LIMIT 1
			ON CONFLICT (workspace_id, key, slot) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE concurrency_slots.expires_at <= $6
			RETURNING slot`, workspaceID, key, limit, holder, until, now).Scan(&lease.Slot)
		if err == nil {
			return lease, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return lease, false, fmt.Errorf("acquiring a concurrency slot: %w", mapParentErr(err))
		}
		var held int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM concurrency_slots
			WHERE workspace_id = $1 AND key = $2 AND slot < $3 AND expires_at > $4`, workspaceID, key, limit, now).Scan(&held); err != nil {
			return lease, false, fmt.Errorf("counting concurrency slots: %w", err)
		}
		if held >= limit {
			return lease, false, nil
		}
	}
	return lease, false, nil
}

// slotCandidates names the free slots worth trying, in O(slots held): the
// smallest free slot is 0 or follows a held one, so slot 0 (unless held)
// and each held slot's successor (unless held) are candidates; an expired
// lease counts as free (the upsert takes it over).
const slotCandidates = `WITH held AS (SELECT slot FROM concurrency_slots
		WHERE workspace_id = $1 AND key = $2 AND expires_at > $6),
	candidates AS (
		SELECT 0 AS n WHERE NOT EXISTS (SELECT 1 FROM held WHERE slot = 0)
		UNION ALL
		SELECT h.slot + 1 FROM held h WHERE NOT EXISTS (SELECT 1 FROM held h2 WHERE h2.slot = h.slot + 1))`

// SlotRelease implements store.GuardrailStore.
func (s *Store) SlotRelease(ctx context.Context, l store.SlotLease) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM concurrency_slots
		WHERE workspace_id = $1 AND key = $2 AND slot = $3 AND holder = $4`, l.WorkspaceID, l.Key, l.Slot, l.Holder)
	if err != nil {
		return fmt.Errorf("releasing a concurrency slot: %w", err)
	}
	return nil
}

// CacheGet implements store.GuardrailStore.
func (s *Store) CacheGet(ctx context.Context, workspaceID, key string, now time.Time) ([]byte, error) {
	var value []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM cache_entries
		WHERE workspace_id = $1 AND key = $2 AND expires_at > $3`, workspaceID, key, now).Scan(&value)
	if err != nil {
		return nil, fmt.Errorf("reading cache entry: %w", mapErr(err))
	}
	return value, nil
}

// CachePut implements store.GuardrailStore.
func (s *Store) CachePut(ctx context.Context, e *store.CacheEntry) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO cache_entries (workspace_id, key, value, size, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (workspace_id, key) DO UPDATE SET value = excluded.value, size = excluded.size,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		e.WorkspaceID, e.Key, e.Value, len(e.Value), e.CreatedAt, e.ExpiresAt)
	if err != nil {
		return fmt.Errorf("storing cache entry: %w", mapParentErr(err))
	}
	return nil
}

// WorkspaceSettingsGet implements store.GuardrailStore.
func (s *Store) WorkspaceSettingsGet(ctx context.Context, workspaceID string) (*store.WorkspaceSettings, error) {
	ws := &store.WorkspaceSettings{WorkspaceID: workspaceID}
	var (
		webhook   *string
		updatedAt *time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT s.approval_webhook_url, s.updated_at FROM workspaces w
		LEFT JOIN workspace_settings s ON s.workspace_id = w.id WHERE w.id = $1`, workspaceID).Scan(&webhook, &updatedAt)
	if err != nil {
		return nil, fmt.Errorf("getting settings of workspace %s: %w", workspaceID, mapErr(err))
	}
	if webhook != nil {
		ws.ApprovalWebhookURL = *webhook
	}
	if updatedAt != nil {
		ws.UpdatedAt = updatedAt.UTC()
	}
	return ws, nil
}

// WorkspaceSettingsPut implements store.GuardrailStore.
func (s *Store) WorkspaceSettingsPut(ctx context.Context, ws *store.WorkspaceSettings) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO workspace_settings (workspace_id, approval_webhook_url, updated_at)
		VALUES ($1, $2, $3)
		ON CONFLICT (workspace_id) DO UPDATE SET approval_webhook_url = excluded.approval_webhook_url,
			updated_at = excluded.updated_at`, ws.WorkspaceID, ws.ApprovalWebhookURL, ws.UpdatedAt)
	if err != nil {
		return fmt.Errorf("storing settings of workspace %s: %w", ws.WorkspaceID, mapParentErr(err))
	}
	return nil
}

// GuardrailsSweep implements store.GuardrailStore.
func (s *Store) GuardrailsSweep(ctx context.Context, p store.GuardrailSweep) (int, error) {
	type query struct {
		sql  string
		args []any
	}
	queries := []query{
		{`DELETE FROM confirmations WHERE expires_at <= $1`, []any{p.Now}},
		{`DELETE FROM cache_entries WHERE expires_at <= $1`, []any{p.Now}},
		{`DELETE FROM concurrency_slots WHERE expires_at <= $1`, []any{p.Now}},
		{`DELETE FROM rate_limits WHERE tat <= $1`, []any{p.Now.UnixMicro()}},
		{`DELETE FROM approvals WHERE status <> $1 AND decided_at < $2
			AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.workspace_id = approvals.workspace_id AND runs.id = approvals.run_id)`,
			[]any{store.ApprovalPending, p.DecidedBefore}},
	}
	if p.CacheMaxBytes > 0 {
		// The entries that expire last are kept, up to the bound.
		queries = append(queries, query{`DELETE FROM cache_entries c USING (
				SELECT workspace_id, key, sum(size) OVER (PARTITION BY workspace_id ORDER BY expires_at DESC, key) AS running
				FROM cache_entries) r
			WHERE c.workspace_id = r.workspace_id AND c.key = r.key AND r.running > $1`, []any{p.CacheMaxBytes}})
	}
	var n int64
	for _, q := range queries {
		tag, err := s.pool.Exec(ctx, q.sql, q.args...)
		if err != nil {
			return 0, fmt.Errorf("sweeping guardrails: %w", err)
		}
		n += tag.RowsAffected()
	}
	return int(n), nil
}

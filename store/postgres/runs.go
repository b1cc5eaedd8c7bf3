package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

// unfinishedRuns is the condition of the partial index of runs not yet
// finished (migration 0050), written into queries that filter on those
// statuses so that the planner can use it.
const unfinishedRuns = `status IN ('queued', 'running', 'awaiting_approval')`

// workedRuns are the runs a background worker may still write: queued or
// running (a run awaiting approval has no job until it is approved).
const workedRuns = `status IN ('queued', 'running')`

const runColumns = `id, workspace_id, tool_id, tool_name, tool_version, agent_id, conversation_id, status, outcome,
	status_code, error, duration_ms, context, arguments, request, response, result, truncated, timings, attempts,
	idempotency_key, replay_of, created_at, finished_at, cache_hit`

// runUpsert inserts a run or replaces every column of the run with its ID.
// The WHERE keeps a run of one workspace from overwriting another's: such a
// row is left alone and reported as a conflict.
const runUpsert = `INSERT INTO runs (` + runColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
	ON CONFLICT (id) DO UPDATE SET
		tool_id = excluded.tool_id, tool_name = excluded.tool_name, tool_version = excluded.tool_version,
		agent_id = excluded.agent_id, conversation_id = excluded.conversation_id, status = excluded.status,
		outcome = excluded.outcome, status_code = excluded.status_code, error = excluded.error,
		duration_ms = excluded.duration_ms, context = excluded.context, arguments = excluded.arguments,
		request = excluded.request, response = excluded.response, result = excluded.result,
		truncated = excluded.truncated, timings = excluded.timings, attempts = excluded.attempts,
		idempotency_key = excluded.idempotency_key, replay_of = excluded.replay_of,
		created_at = excluded.created_at, finished_at = excluded.finished_at, cache_hit = excluded.cache_hit
	WHERE runs.workspace_id = excluded.workspace_id`

// RunInsertBatch inserts or replaces runs in one transaction and one round
// trip. A run whose ID belongs to another workspace is store.ErrConflict and
// nothing is written.
func (s *Store) RunInsertBatch(ctx context.Context, runs []*store.Run) error {
	if len(runs) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var batch pgx.Batch
		for _, r := range runs {
			batch.Queue(runUpsert, runArgs(r)...)
		}
		results := tx.SendBatch(ctx, &batch)
		defer results.Close()
		for _, r := range runs {
			tag, err := results.Exec()
			if err != nil {
				return fmt.Errorf("run %s: %w", r.ID, mapErr(err))
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("run %s: %w: the ID belongs to another workspace", r.ID, store.ErrConflict)
			}
		}
		return results.Close()
	})
	if err != nil {
		return fmt.Errorf("inserting %d runs: %w", len(runs), err)
	}
	return nil
}

// runArgs returns the arguments of r for runColumns, in order.
func runArgs(r *store.Run) []any {
	return []any{
		r.ID, r.WorkspaceID, r.ToolID, r.ToolName, r.ToolVersion, r.AgentID, r.ConversationID, r.Status, r.Outcome,
		r.StatusCode, r.Error, r.DurationMS, codec.RawArg(r.Context), codec.RawArg(r.Arguments), codec.RawArg(r.Request),
		codec.RawArg(r.Response), codec.RawArg(r.Result), r.Truncated, codec.RawArg(r.Timings), codec.RawArg(r.Attempts),
		r.IdempotencyKey, r.ReplayOf, r.CreatedAt, r.FinishedAt, r.CacheHit,
	}
}

// RunInsertManyTx inserts runs within tx in one round trip, so that runs
// and the jobs that execute them are written together. A duplicate ID is
// store.ErrConflict.
func (s *Store) RunInsertManyTx(ctx context.Context, tx pgx.Tx, runs []*store.Run) error {
	var batch pgx.Batch
	for _, r := range runs {
		batch.Queue(runInsert, runArgs(r)...)
	}
	results := tx.SendBatch(ctx, &batch)
	defer results.Close()
	for _, r := range runs {
		if _, err := results.Exec(); err != nil {
			return fmt.Errorf("inserting run %s: %w", r.ID, mapErr(err))
		}
	}
	return results.Close()
}

// RunUpdateUnfinishedManyTx replaces every column but the ID, workspace
// and creation time of each workspace's run that has not finished (status
// queued or running), within tx and in one round trip, so that a job's
// outcome is written with the job's own writes. written reports, for each
// run, whether it was: a run missing, of another workspace, or already
// finished (one cancelled meanwhile) is left alone. A run's row is locked
// by the update, so a cancellation committed meanwhile is seen.
func (s *Store) RunUpdateUnfinishedManyTx(ctx context.Context, tx pgx.Tx, runs []*store.Run) (written []bool, err error) {
	var batch pgx.Batch
	for _, r := range runs {
		batch.Queue(runUpdate,
			r.ToolID, r.ToolName, r.ToolVersion, r.AgentID, r.ConversationID, r.Status, r.Outcome,
			r.StatusCode, r.Error, r.DurationMS, codec.RawArg(r.Context), codec.RawArg(r.Arguments), codec.RawArg(r.Request),
			codec.RawArg(r.Response), codec.RawArg(r.Result), r.Truncated, codec.RawArg(r.Timings), codec.RawArg(r.Attempts),
			r.IdempotencyKey, r.ReplayOf, r.FinishedAt, r.CacheHit, r.WorkspaceID, r.ID)
	}
	results := tx.SendBatch(ctx, &batch)
	defer results.Close()
	written = make([]bool, len(runs))
	for i, r := range runs {
		tag, err := results.Exec()
		if err != nil {
			return nil, fmt.Errorf("updating run %s: %w", r.ID, mapErr(err))
		}
		written[i] = tag.RowsAffected() > 0
	}
	return written, results.Close()
}

// runInsert inserts a run; a duplicate ID fails.
const runInsert = `INSERT INTO runs (` + runColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`

// runUpdate replaces every column of a run not yet finished but its ID,
// workspace and creation time.
const runUpdate = `UPDATE runs SET
	tool_id = $1, tool_name = $2, tool_version = $3, agent_id = $4, conversation_id = $5, status = $6,
	outcome = $7, status_code = $8, error = $9, duration_ms = $10, context = $11, arguments = $12,
	request = $13, response = $14, result = $15, truncated = $16, timings = $17, attempts = $18,
	idempotency_key = $19, replay_of = $20, finished_at = $21, cache_hit = $22
	WHERE workspace_id = $23 AND id = $24 AND ` + workedRuns

// RunGet returns the workspace's run with the given ID.
func (s *Store) RunGet(ctx context.Context, workspaceID, id string) (*store.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx,
		`SELECT `+runColumns+` FROM runs WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
	if err != nil {
		return nil, fmt.Errorf("getting run %s: %w", id, mapErr(err))
	}
	return r, nil
}

// RunList returns a page of the workspace's runs, newest (highest ID) first.
// Since is inclusive and Until exclusive, both on the creation time.
func (s *Store) RunList(ctx context.Context, workspaceID string, p store.RunListParams) ([]*store.Run, error) {
	var (
		where = []string{"workspace_id = $1"}
		args  = []any{workspaceID}
	)
	filter := func(column, op string, arg any) {
		args = append(args, arg)
		where = append(where, column+" "+op+" $"+strconv.Itoa(len(args)))
	}
	if p.Cursor != "" {
		filter("id", "<", p.Cursor)
	}
	if p.Tool != "" {
		filter("tool_name", "=", p.Tool)
	}
	if p.AgentID != "" {
		filter("agent_id", "=", p.AgentID)
	}
	if p.Outcome != "" {
		filter("outcome", "=", p.Outcome)
	}
	switch p.Status {
	case "":
	case store.RunStatusQueued, store.RunStatusRunning, store.RunStatusAwaitingApproval:
		// Runs not yet finished are few: a partial index holds them,
		// which the planner uses only when its condition is in the query
		// as written.
		where = append(where, unfinishedRuns)
		filter("status", "=", p.Status)
	default:
		filter("status", "=", p.Status)
	}
	if p.ConversationID != "" {
		filter("conversation_id", "=", p.ConversationID)
	}
	// IDs carry their creation time (store.NewIDAt): bounding them lets a
	// time range use the (workspace_id, id) index; created_at is exact.
	if !p.Since.IsZero() {
		filter("id", ">=", store.IDFloor(p.Since.Add(-store.IDSlack)))
		filter("created_at", ">=", p.Since)
	}
	if !p.Until.IsZero() {
		filter("id", "<", store.IDFloor(p.Until.Add(store.IDSlack)))
		filter("created_at", "<", p.Until)
	}
	args = append(args, p.EffectiveLimit())

	rows, err := s.pool.Query(ctx, `SELECT `+runColumns+` FROM runs WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	return list, nil
}

// RunDeleteBefore deletes the runs of every workspace created before t.
// A run's ID carries its creation time (store.NewIDAt), so the primary key
// bounds what is read; created_at is exact.
func (s *Store) RunDeleteBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM runs WHERE id < $1 AND created_at < $2`, store.IDFloor(t.Add(store.IDSlack)), t)
	if err != nil {
		return 0, fmt.Errorf("deleting runs before %s: %w", t, err)
	}
	return int(tag.RowsAffected()), nil
}

func scanRun(row codec.Scanner) (*store.Run, error) {
	var (
		r                                   store.Run
		ctxJSON, arguments, request         []byte
		response, result, timings, attempts []byte
	)
	if err := row.Scan(&r.ID, &r.WorkspaceID, &r.ToolID, &r.ToolName, &r.ToolVersion, &r.AgentID, &r.ConversationID,
		&r.Status, &r.Outcome, &r.StatusCode, &r.Error, &r.DurationMS, &ctxJSON, &arguments, &request, &response,
		&result, &r.Truncated, &timings, &attempts, &r.IdempotencyKey, &r.ReplayOf, &r.CreatedAt, &r.FinishedAt, &r.CacheHit); err != nil {
		return nil, err
	}
	r.Context = json.RawMessage(ctxJSON)
	r.Arguments = json.RawMessage(arguments)
	r.Request = json.RawMessage(request)
	r.Response = json.RawMessage(response)
	r.Result = json.RawMessage(result)
	r.Timings = json.RawMessage(timings)
	r.Attempts = json.RawMessage(attempts)
	r.CreatedAt = r.CreatedAt.UTC()
	r.FinishedAt = utcPtr(r.FinishedAt)
	return &r, nil
}

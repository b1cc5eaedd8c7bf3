package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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

// RunInsertBatch inserts or replaces runs in one transaction. A run whose ID
// belongs to another workspace is store.ErrConflict and nothing is written.
func (s *Store) RunInsertBatch(ctx context.Context, runs []*store.Run) error {
	if len(runs) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt := tx.StmtContext(ctx, s.runs.upsert)
		defer stmt.Close()
		for _, r := range runs {
			res, err := stmt.ExecContext(ctx, runArgs(r)...)
			if err != nil {
				return fmt.Errorf("run %s: %w", r.ID, mapErr(err))
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("run %s: %w: the ID belongs to another workspace", r.ID, store.ErrConflict)
			}
		}
		return nil
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
		codec.RawArg(r.Response), codec.RawArg(r.Result), boolInt(r.Truncated), codec.RawArg(r.Timings), codec.RawArg(r.Attempts),
		r.IdempotencyKey, r.ReplayOf, micros(r.CreatedAt), microsPtr(r.FinishedAt), boolInt(r.CacheHit),
	}
}

// runInsert inserts a run; a duplicate ID fails.
const runInsert = `INSERT INTO runs (` + runColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// runUpdate replaces every column of a run not yet finished but its ID,
// workspace and creation time.
const runUpdate = `UPDATE runs SET
	tool_id = ?, tool_name = ?, tool_version = ?, agent_id = ?, conversation_id = ?, status = ?, outcome = ?,
	status_code = ?, error = ?, duration_ms = ?, context = ?, arguments = ?, request = ?, response = ?,
	result = ?, truncated = ?, timings = ?, attempts = ?, idempotency_key = ?, replay_of = ?, finished_at = ?,
	cache_hit = ?
	WHERE workspace_id = ? AND id = ? AND ` + workedRuns

// runStatements are the run writes, prepared on the write connection.
type runStatements struct {
	upsert, insert, update *sql.Stmt
}

func (rs *runStatements) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{{&rs.upsert, runUpsert}, {&rs.insert, runInsert}, {&rs.update, runUpdate}} {
		stmt, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return errors.Join(err, rs.close())
		}
		*p.stmt = stmt
	}
	return nil
}

func (rs *runStatements) close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{rs.upsert, rs.insert, rs.update} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}

// RunInsertManyTx inserts runs within tx, which must have been begun on
// s.DB(), so that runs and the jobs that execute them are written together.
// A duplicate ID is store.ErrConflict.
func (s *Store) RunInsertManyTx(ctx context.Context, tx *sql.Tx, runs []*store.Run) error {
	stmt := tx.StmtContext(ctx, s.runs.insert)
	for _, r := range runs {
		if _, err := stmt.ExecContext(ctx, runArgs(r)...); err != nil {
			return fmt.Errorf("inserting run %s: %w", r.ID, mapErr(err))
		}
	}
	return nil
}

// RunUpdateUnfinishedManyTx replaces every column but the ID, workspace
// and creation time of each workspace's run that has not finished (status
// queued or running), within tx (begun on s.DB()), so that a job's outcome
// is written with the job's own writes. written reports, for each run,
// whether it was: a run missing, of another workspace, or already finished
// (one cancelled meanwhile) is left alone.
func (s *Store) RunUpdateUnfinishedManyTx(ctx context.Context, tx *sql.Tx, runs []*store.Run) (written []bool, err error) {
	stmt := tx.StmtContext(ctx, s.runs.update)
	written = make([]bool, len(runs))
	for i, r := range runs {
		res, err := stmt.ExecContext(ctx,
			r.ToolID, r.ToolName, r.ToolVersion, r.AgentID, r.ConversationID, r.Status, r.Outcome,
			r.StatusCode, r.Error, r.DurationMS, codec.RawArg(r.Context), codec.RawArg(r.Arguments), codec.RawArg(r.Request),
			codec.RawArg(r.Response), codec.RawArg(r.Result), boolInt(r.Truncated), codec.RawArg(r.Timings), codec.RawArg(r.Attempts),
			r.IdempotencyKey, r.ReplayOf, microsPtr(r.FinishedAt), boolInt(r.CacheHit), r.WorkspaceID, r.ID)
		if err != nil {
			return nil, fmt.Errorf("updating run %s: %w", r.ID, mapErr(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("updating run %s: %w", r.ID, err)
		}
		written[i] = n > 0
	}
	return written, nil
}

// RunGet returns the workspace's run with the given ID.
func (s *Store) RunGet(ctx context.Context, workspaceID, id string) (*store.Run, error) {
	r, err := scanRun(s.read.QueryRowContext(ctx,
		`SELECT `+runColumns+` FROM runs WHERE workspace_id = ? AND id = ?`, workspaceID, id))
	if err != nil {
		return nil, fmt.Errorf("getting run %s: %w", id, mapErr(err))
	}
	return r, nil
}

// RunList returns a page of the workspace's runs, newest (highest ID) first.
// Since is inclusive and Until exclusive, both on the creation time.
func (s *Store) RunList(ctx context.Context, workspaceID string, p store.RunListParams) ([]*store.Run, error) {
	var (
		where = []string{"workspace_id = ?"}
		args  = []any{workspaceID}
	)
	filter := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if p.Cursor != "" {
		filter("id < ?", p.Cursor)
	}
	if p.Tool != "" {
		filter("tool_name = ?", p.Tool)
	}
	if p.AgentID != "" {
		filter("agent_id = ?", p.AgentID)
	}
	if p.Outcome != "" {
		filter("outcome = ?", p.Outcome)
	}
	switch p.Status {
	case "":
	case store.RunStatusQueued, store.RunStatusRunning, store.RunStatusAwaitingApproval:
		// Runs not yet finished are few: a partial index holds them,
		// which the planner uses only when its condition is in the query
		// as written.
		where = append(where, unfinishedRuns)
		filter("status = ?", p.Status)
	default:
		filter("status = ?", p.Status)
	}
	if p.ConversationID != "" {
		filter("conversation_id = ?", p.ConversationID)
	}
	// IDs carry their creation time (store.NewIDAt): bounding them lets a
	// time range use the (workspace_id, id) index; created_at is exact.
	if !p.Since.IsZero() {
		filter("id >= ?", store.IDFloor(p.Since.Add(-store.IDSlack)))
		filter("created_at >= ?", micros(p.Since))
	}
	if !p.Until.IsZero() {
		filter("id < ?", store.IDFloor(p.Until.Add(store.IDSlack)))
		filter("created_at < ?", micros(p.Until))
	}
	args = append(args, p.EffectiveLimit())

	rows, err := s.read.QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT ?`, args...)
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
	res, err := s.write.ExecContext(ctx, `DELETE FROM runs WHERE id < ? AND created_at < ?`,
		store.IDFloor(t.Add(store.IDSlack)), micros(t))
	if err != nil {
		return 0, fmt.Errorf("deleting runs before %s: %w", t, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("deleting runs before %s: %w", t, err)
	}
	return int(n), nil
}

func scanRun(row codec.Scanner) (*store.Run, error) {
	var (
		r                                   store.Run
		ctxJSON, arguments, request         []byte
		response, result, timings, attempts []byte
		truncated, cacheHit                 int
		createdAt                           int64
		finishedAt                          sql.NullInt64
	)
	if err := row.Scan(&r.ID, &r.WorkspaceID, &r.ToolID, &r.ToolName, &r.ToolVersion, &r.AgentID, &r.ConversationID,
		&r.Status, &r.Outcome, &r.StatusCode, &r.Error, &r.DurationMS, &ctxJSON, &arguments, &request, &response,
		&result, &truncated, &timings, &attempts, &r.IdempotencyKey, &r.ReplayOf, &createdAt, &finishedAt, &cacheHit); err != nil {
		return nil, err
	}
	r.Context = json.RawMessage(ctxJSON)
	r.Arguments = json.RawMessage(arguments)
	r.Request = json.RawMessage(request)
	r.Response = json.RawMessage(response)
	r.Result = json.RawMessage(result)
	r.Truncated = truncated != 0
	r.CacheHit = cacheHit != 0
	r.Timings = json.RawMessage(timings)
	r.Attempts = json.RawMessage(attempts)
	r.CreatedAt = fromMicros(createdAt)
	r.FinishedAt = fromMicrosPtr(finishedAt)
	return &r, nil
}

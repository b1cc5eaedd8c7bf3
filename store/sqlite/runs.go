package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

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
		stmt, err := tx.PrepareContext(ctx, runUpsert)
		if err != nil {
			return err
		}
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

// RunInsertTx inserts r within tx, which must have been begun on s.DB(), so
// that a run and the job that executes it are written together. A duplicate
// ID is store.ErrConflict.
func (s *Store) RunInsertTx(ctx context.Context, tx *sql.Tx, r *store.Run) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO runs (`+runColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, runArgs(r)...)
	if err != nil {
		return fmt.Errorf("inserting run %s: %w", r.ID, mapErr(err))
	}
	return nil
}

// RunUpdateTx replaces every column of the workspace's run r.ID but its ID,
// workspace and creation time, within tx (begun on s.DB()), so that a job's
// outcome is written with its completion. A missing run is
// store.ErrNotFound.
func (s *Store) RunUpdateTx(ctx context.Context, tx *sql.Tx, r *store.Run) error {
	res, err := tx.ExecContext(ctx, `UPDATE runs SET
		tool_id = ?, tool_name = ?, tool_version = ?, agent_id = ?, conversation_id = ?, status = ?, outcome = ?,
		status_code = ?, error = ?, duration_ms = ?, context = ?, arguments = ?, request = ?, response = ?,
		result = ?, truncated = ?, timings = ?, attempts = ?, idempotency_key = ?, replay_of = ?, finished_at = ?, cache_hit = ?
		WHERE workspace_id = ? AND id = ?`,
		r.ToolID, r.ToolName, r.ToolVersion, r.AgentID, r.ConversationID, r.Status, r.Outcome,
		r.StatusCode, r.Error, r.DurationMS, codec.RawArg(r.Context), codec.RawArg(r.Arguments), codec.RawArg(r.Request),
		codec.RawArg(r.Response), codec.RawArg(r.Result), boolInt(r.Truncated), codec.RawArg(r.Timings), codec.RawArg(r.Attempts),
		r.IdempotencyKey, r.ReplayOf, microsPtr(r.FinishedAt), boolInt(r.CacheHit), r.WorkspaceID, r.ID)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("updating run %s: %w", r.ID, mapErr(err))
	}
	return nil
}

// RunGetByIdempotencyKey returns the agent's newest run (by creation time,
// then ID) carrying key and created at or after since. An empty key never
// matches: runs without a key store "".
func (s *Store) RunGetByIdempotencyKey(ctx context.Context, workspaceID, agentID, key string, since time.Time) (*store.Run, error) {
	if key == "" {
		return nil, fmt.Errorf("getting run by idempotency key: empty key: %w", store.ErrNotFound)
	}
	r, err := scanRun(s.read.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs
		WHERE workspace_id = ? AND agent_id = ? AND idempotency_key = ? AND created_at >= ?
		ORDER BY created_at DESC, id DESC LIMIT 1`, workspaceID, agentID, key, micros(since)))
	if err != nil {
		return nil, fmt.Errorf("getting run by idempotency key: %w", mapErr(err))
	}
	return r, nil
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
	if p.Status != "" {
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
func (s *Store) RunDeleteBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM runs WHERE created_at < ?`, micros(t))
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

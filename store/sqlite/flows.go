package sqlite

import (
	"cmp"
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

const flowColumns = `id, workspace_id, agent_id, name, type, definition, status, version, created_at, updated_at, published_at`

const flowVersionColumns = `flow_id, workspace_id, agent_id, version, name, definition, published_at`

const flowSessionColumns = `id, workspace_id, agent_id, flow_id, flow_name, version, state, status, reason,
	variables, context, steps, row_version, created_at, updated_at`

// FlowInsert inserts f. An empty Status is stored as store.FlowStatusDraft,
// an empty Type as store.FlowTypeConversation. An agent that is missing or of
// another workspace is store.ErrNotFound; a duplicate ID, or a name the agent
// already uses, is store.ErrConflict.
func (s *Store) FlowInsert(ctx context.Context, f *store.Flow) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO flows (`+flowColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.WorkspaceID, f.AgentID, f.Name, cmp.Or(f.Type, store.FlowTypeConversation), codec.RawArg(f.Definition),
		cmp.Or(f.Status, store.FlowStatusDraft), f.Version, micros(f.CreatedAt), micros(f.UpdatedAt), microsPtr(f.PublishedAt))
	if err != nil {
		return fmt.Errorf("inserting flow %s: %w", f.ID, mapParentErr(err))
	}
	return nil
}

// FlowGet returns the agent's flow with the given ID.
func (s *Store) FlowGet(ctx context.Context, workspaceID, agentID, id string) (*store.Flow, error) {
	f, err := scanFlow(s.read.QueryRowContext(ctx, `SELECT `+flowColumns+` FROM flows
		WHERE workspace_id = ? AND agent_id = ? AND id = ?`, workspaceID, agentID, id))
	if err != nil {
		return nil, fmt.Errorf("getting flow %s: %w", id, mapErr(err))
	}
	return f, nil
}

// FlowGetByName returns the agent's flow with the given name.
func (s *Store) FlowGetByName(ctx context.Context, workspaceID, agentID, name string) (*store.Flow, error) {
	f, err := scanFlow(s.read.QueryRowContext(ctx, `SELECT `+flowColumns+` FROM flows
		WHERE workspace_id = ? AND agent_id = ? AND name = ?`, workspaceID, agentID, name))
	if err != nil {
		return nil, fmt.Errorf("getting flow named %q: %w", name, mapErr(err))
	}
	return f, nil
}

// FlowList returns a page of the agent's flows, ordered by ID.
func (s *Store) FlowList(ctx context.Context, workspaceID, agentID string, p store.ListParams) ([]*store.Flow, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+flowColumns+` FROM flows
		WHERE workspace_id = ? AND agent_id = ? AND id > ? ORDER BY id LIMIT ?`,
		workspaceID, agentID, p.Cursor, p.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("listing flows: %w", err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanFlow)
	if err != nil {
		return nil, fmt.Errorf("listing flows: %w", err)
	}
	return list, nil
}

// FlowCount counts the agent's flows.
func (s *Store) FlowCount(ctx context.Context, workspaceID, agentID string) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM flows WHERE workspace_id = ? AND agent_id = ?`,
		workspaceID, agentID).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting flows: %w", err)
	}
	return n, nil
}

// FlowUpdate replaces the draft: name, definition and update time.
func (s *Store) FlowUpdate(ctx context.Context, f *store.Flow) error {
	res, err := s.write.ExecContext(ctx, `UPDATE flows SET name = ?, definition = ?, updated_at = ?
		WHERE workspace_id = ? AND agent_id = ? AND id = ?`,
		f.Name, codec.RawArg(f.Definition), micros(f.UpdatedAt), f.WorkspaceID, f.AgentID, f.ID)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("updating flow %s: %w", f.ID, mapErr(err))
	}
	return nil
}

// FlowDelete deletes the agent's flow and its versions and ends its open
// sessions, in one transaction.
func (s *Store) FlowDelete(ctx context.Context, workspaceID, agentID, id string, at time.Time) (int, error) {
	var ended int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM flows WHERE workspace_id = ? AND agent_id = ? AND id = ?`,
			workspaceID, agentID, id)
		if err != nil {
			return err
		}
		if err := affectedOne(res); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM flow_versions WHERE workspace_id = ? AND flow_id = ?`, workspaceID, id); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `UPDATE flow_sessions SET status = ?, reason = ?, updated_at = ?,
			row_version = row_version + 1 WHERE workspace_id = ? AND flow_id = ? AND status = ?`,
			store.FlowSessionEnded, store.FlowDeletedReason, micros(at), workspaceID, id, store.FlowSessionWaitingInput)
		if err != nil {
			return err
		}
		ended, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deleting flow %s: %w", id, mapErr(err))
	}
	return int(ended), nil
}

// FlowPublish stores the flow's current draft as version latest+1 and marks
// the flow published, in one transaction.
func (s *Store) FlowPublish(ctx context.Context, workspaceID, agentID, id string, at time.Time) (*store.FlowVersion, error) {
	v := &store.FlowVersion{FlowID: id, WorkspaceID: workspaceID, AgentID: agentID, PublishedAt: fromMicros(micros(at))}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var definition []byte
		if err := tx.QueryRowContext(ctx, `SELECT name, definition, version FROM flows
			WHERE workspace_id = ? AND agent_id = ? AND id = ?`,
			workspaceID, agentID, id).Scan(&v.Name, &definition, &v.Version); err != nil {
			return err
		}
		v.Definition = json.RawMessage(definition)
		v.Version++
		if _, err := tx.ExecContext(ctx, `INSERT INTO flow_versions (`+flowVersionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, workspaceID, agentID, v.Version, v.Name, codec.RawArg(v.Definition), micros(at)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE flows SET status = ?, version = ?, published_at = ?
			WHERE workspace_id = ? AND id = ?`, store.FlowStatusPublished, v.Version, micros(at), workspaceID, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("publishing flow %s: %w", id, mapErr(err))
	}
	return v, nil
}

// FlowVersionGet returns one published version of the workspace's flow.
func (s *Store) FlowVersionGet(ctx context.Context, workspaceID, flowID string, version int) (*store.FlowVersion, error) {
	v, err := scanFlowVersion(s.read.QueryRowContext(ctx, `SELECT `+flowVersionColumns+` FROM flow_versions
		WHERE workspace_id = ? AND flow_id = ? AND version = ?`, workspaceID, flowID, version))
	if err != nil {
		return nil, fmt.Errorf("getting version %d of flow %s: %w", version, flowID, mapErr(err))
	}
	return v, nil
}

// FlowVersionList returns every published version of the workspace's flow,
// oldest first. A flow that is missing or never published has none.
func (s *Store) FlowVersionList(ctx context.Context, workspaceID, flowID string) ([]*store.FlowVersion, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+flowVersionColumns+` FROM flow_versions
		WHERE workspace_id = ? AND flow_id = ? ORDER BY version`, workspaceID, flowID)
	if err != nil {
		return nil, fmt.Errorf("listing versions of flow %s: %w", flowID, err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanFlowVersion)
	if err != nil {
		return nil, fmt.Errorf("listing versions of flow %s: %w", flowID, err)
	}
	return list, nil
}

// FlowSessionInsert inserts fs at row version 1 with its first steps, in
// one transaction, and sets fs.RowVersion and fs.Steps.
func (s *Store) FlowSessionInsert(ctx context.Context, fs *store.FlowSession, steps []json.RawMessage) error {
	insert, err := s.stmts.prepare(ctx, s.write, insertFlowSessionSQL)
	if err != nil {
		return fmt.Errorf("inserting flow session %s: %w", fs.ID, err)
	}
	stepStmts, err := s.flowStepStmts(ctx, len(steps))
	if err != nil {
		return fmt.Errorf("inserting flow session %s: %w", fs.ID, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, insert).ExecContext(ctx,
			fs.ID, fs.WorkspaceID, fs.AgentID, fs.FlowID, fs.FlowName, fs.Version, fs.State, fs.Status, fs.Reason,
			codec.RawArg(fs.Variables), codec.RawArg(fs.Context), len(steps), micros(fs.CreatedAt), micros(fs.UpdatedAt)); err != nil {
			return err
		}
		return insertFlowSteps(ctx, tx, stepStmts, fs.WorkspaceID, fs.ID, 0, steps)
	})
	if err != nil {
		return fmt.Errorf("inserting flow session %s: %w", fs.ID, mapParentErr(err))
	}
	fs.RowVersion, fs.Steps = 1, int64(len(steps))
	return nil
}

// Statements of a session's turn, prepared once (see stmtCache).
const (
	insertFlowSessionSQL = `INSERT INTO flow_sessions (` + flowSessionColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`
	getFlowSessionSQL = `SELECT ` + flowSessionColumns + ` FROM flow_sessions WHERE workspace_id = ? AND id = ?`
	// updateFlowSessionSQL's arguments: status, state, reason, variables,
	// context, updated_at, new steps, workspace, ID, row version.
	updateFlowSessionSQL = `UPDATE flow_sessions SET status = ?, ` + updateFlowSessionRest
	// updateFlowSessionSameStatusSQL leaves the status (and so its index)
	// alone, one page less to write: most turns leave a session waiting.
	// Its arguments are updateFlowSessionSQL's without the status.
	updateFlowSessionSameStatusSQL = `UPDATE flow_sessions SET ` + updateFlowSessionRest
	updateFlowSessionRest          = `state = ?, reason = ?, variables = ?, context = ?, updated_at = ?,
		steps = steps + ?, row_version = row_version + 1
		WHERE workspace_id = ? AND id = ? AND row_version = ? RETURNING steps`
)

// flowStepBatch bounds the rows of one INSERT of steps.
const flowStepBatch = 200

// insertFlowStepsSQL inserts n steps.
func insertFlowStepsSQL(n int) string {
	return `INSERT INTO flow_session_steps (session_id, workspace_id, seq, data) VALUES ` +
		strings.Repeat("(?, ?, ?, ?), ", n-1) + `(?, ?, ?, ?)`
}

// flowStepStmts returns the statements that insert n steps, one per batch
// of at most flowStepBatch, prepared (outside any transaction).
func (s *Store) flowStepStmts(ctx context.Context, n int) ([]*sql.Stmt, error) {
	var stmts []*sql.Stmt
	for ; n > 0; n -= flowStepBatch {
		stmt, err := s.stmts.prepare(ctx, s.write, insertFlowStepsSQL(min(n, flowStepBatch)))
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, stmt)
	}
	return stmts, nil
}

// insertFlowSteps appends steps to a session's history after seq last, with
// the statements of flowStepStmts(len(steps)).
func insertFlowSteps(ctx context.Context, tx *sql.Tx, stmts []*sql.Stmt, workspaceID, sessionID string, last int64, steps []json.RawMessage) error {
	for _, stmt := range stmts {
		batch := steps[:min(len(steps), flowStepBatch)]
		args := make([]any, 0, 4*len(batch))
		for i, step := range batch {
			args = append(args, sessionID, workspaceID, last+int64(i)+1, string(step))
		}
		if _, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, args...); err != nil {
			return err
		}
		steps, last = steps[len(batch):], last+int64(len(batch))
	}
	return nil
}

// FlowSessionGet returns the workspace's flow session with the given ID.
func (s *Store) FlowSessionGet(ctx context.Context, workspaceID, id string) (*store.FlowSession, error) {
	fs, err := s.getFlowSession(ctx, workspaceID, id)
	if err != nil {
		return nil, fmt.Errorf("getting flow session %s: %w", id, mapErr(err))
	}
	return fs, nil
}

func (s *Store) getFlowSession(ctx context.Context, workspaceID, id string) (*store.FlowSession, error) {
	get, err := s.stmts.prepare(ctx, s.read, getFlowSessionSQL)
	if err != nil {
		return nil, err
	}
	return scanFlowSession(get.QueryRowContext(ctx, workspaceID, id))
}

// FlowSessionList returns a page of the workspace's flow sessions, newest
// first.
func (s *Store) FlowSessionList(ctx context.Context, workspaceID string, p store.FlowSessionListParams) ([]*store.FlowSession, error) {
	query := `SELECT ` + flowSessionColumns + ` FROM flow_sessions WHERE workspace_id = ?`
	args := []any{workspaceID}
	filter := func(cond string, v string) {
		if v != "" {
			query += ` AND ` + cond
			args = append(args, v)
		}
	}
	filter("id < ?", p.Cursor)
	filter("agent_id = ?", p.AgentID)
	filter("flow_id = ?", p.FlowID)
	filter("status = ?", p.Status)
	args = append(args, p.EffectiveLimit())
	rows, err := s.read.QueryContext(ctx, query+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing flow sessions: %w", err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanFlowSession)
	if err != nil {
		return nil, fmt.Errorf("listing flow sessions: %w", err)
	}
	return list, nil
}

// FlowSessionUpdate writes fs and appends steps if the stored row is
// still at fs.RowVersion.
func (s *Store) FlowSessionUpdate(ctx context.Context, fs *store.FlowSession, steps []json.RawMessage) error {
	if err := s.updateFlowSession(ctx, fs, steps, true); err != nil {
		return fmt.Errorf("updating flow session %s: %w", fs.ID, err)
	}
	return nil
}

// updateFlowSession writes fs at fs.RowVersion+1 and appends steps, in one
// transaction, and sets fs.RowVersion and fs.Steps. Without writeStatus
// the stored status is kept (the caller knows it equals fs.Status).
func (s *Store) updateFlowSession(ctx context.Context, fs *store.FlowSession, steps []json.RawMessage, writeStatus bool) error {
	query := updateFlowSessionSameStatusSQL
	args := []any{fs.State, fs.Reason, codec.RawArg(fs.Variables), codec.RawArg(fs.Context), micros(fs.UpdatedAt), len(steps),
		fs.WorkspaceID, fs.ID, fs.RowVersion}
	if writeStatus {
		query, args = updateFlowSessionSQL, append([]any{fs.Status}, args...)
	}
	update, err := s.stmts.prepare(ctx, s.write, query)
	if err != nil {
		return err
	}
	stepStmts, err := s.flowStepStmts(ctx, len(steps))
	if err != nil {
		return err
	}
	var stepCount int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.StmtContext(ctx, update).QueryRowContext(ctx, args...).Scan(&stepCount)
		if errors.Is(err, sql.ErrNoRows) {
			var exists int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM flow_sessions WHERE workspace_id = ? AND id = ?`,
				fs.WorkspaceID, fs.ID).Scan(&exists)
			if errors.Is(err, sql.ErrNoRows) {
				return store.ErrNotFound
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("%w: the session changed since row version %d", store.ErrConflict, fs.RowVersion)
		}
		if err != nil {
			return err
		}
		return insertFlowSteps(ctx, tx, stepStmts, fs.WorkspaceID, fs.ID, stepCount-int64(len(steps)), steps)
	})
	if err != nil {
		return mapErr(err)
	}
	fs.RowVersion++
	fs.Steps = stepCount
	return nil
}

// FlowStepList returns up to limit steps of the session after afterSeq, in
// order.
func (s *Store) FlowStepList(ctx context.Context, workspaceID, sessionID string, afterSeq int64, limit int) ([]*store.FlowStep, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT workspace_id, session_id, seq, data FROM flow_session_steps
		WHERE session_id = ? AND workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		sessionID, workspaceID, afterSeq, store.ListParams{Limit: limit}.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("listing steps of flow session %s: %w", sessionID, err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, func(row codec.Scanner) (*store.FlowStep, error) {
		var st store.FlowStep
		var data []byte
		if err := row.Scan(&st.WorkspaceID, &st.SessionID, &st.Seq, &data); err != nil {
			return nil, err
		}
		st.Data = json.RawMessage(data)
		return &st, nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing steps of flow session %s: %w", sessionID, err)
	}
	return list, nil
}

// flowSessionLockKey names a session's entry in Store.flowSessionLocks.
func flowSessionLockKey(workspaceID, id string) string {
	return workspaceID + "\x00" + id
}

// FlowSessionAdvance runs fn with the session's current row and writes its
// result. Advances of one session are serialized with an in-process lock
// held while fn runs; no database transaction is open meanwhile, so a slow
// fn never blocks other writes. The lock coordinates this Store only: SQLite
// is for one server per database file.
func (s *Store) FlowSessionAdvance(ctx context.Context, workspaceID, id string,
	fn func(current *store.FlowSession) (*store.FlowSession, []json.RawMessage, error)) (*store.FlowSession, error) {
	unlock, err := s.flowSessionLocks.Lock(ctx, flowSessionLockKey(workspaceID, id))
	if err != nil {
		return nil, fmt.Errorf("advancing flow session %s: %w", id, err)
	}
	defer unlock()
	current, err := s.getFlowSession(ctx, workspaceID, id)
	if err != nil {
		return nil, fmt.Errorf("advancing flow session %s: %w", id, mapErr(err))
	}
	next, steps, err := fn(current)
	if err != nil {
		return nil, fmt.Errorf("advancing flow session %s: %w", id, err)
	}
	if next == nil {
		return current, nil
	}
	write := *next
	write.WorkspaceID, write.ID, write.RowVersion = workspaceID, id, current.RowVersion
	if err := s.updateFlowSession(ctx, &write, steps, write.Status != current.Status); err != nil {
		return nil, fmt.Errorf("advancing flow session %s: %w", id, err)
	}
	return &write, nil
}

func scanFlow(row codec.Scanner) (*store.Flow, error) {
	var (
		f                    store.Flow
		definition           []byte
		createdAt, updatedAt int64
		publishedAt          sql.NullInt64
	)
	if err := row.Scan(&f.ID, &f.WorkspaceID, &f.AgentID, &f.Name, &f.Type, &definition, &f.Status, &f.Version,
		&createdAt, &updatedAt, &publishedAt); err != nil {
		return nil, err
	}
	f.Definition = json.RawMessage(definition)
	f.CreatedAt = fromMicros(createdAt)
	f.UpdatedAt = fromMicros(updatedAt)
	f.PublishedAt = fromMicrosPtr(publishedAt)
	return &f, nil
}

func scanFlowVersion(row codec.Scanner) (*store.FlowVersion, error) {
	var (
		v           store.FlowVersion
		definition  []byte
		publishedAt int64
	)
	if err := row.Scan(&v.FlowID, &v.WorkspaceID, &v.AgentID, &v.Version, &v.Name, &definition, &publishedAt); err != nil {
		return nil, err
	}
	v.Definition = json.RawMessage(definition)
	v.PublishedAt = fromMicros(publishedAt)
	return &v, nil
}

func scanFlowSession(row codec.Scanner) (*store.FlowSession, error) {
	var (
		fs                   store.FlowSession
		variables, context   []byte
		createdAt, updatedAt int64
	)
	if err := row.Scan(&fs.ID, &fs.WorkspaceID, &fs.AgentID, &fs.FlowID, &fs.FlowName, &fs.Version, &fs.State,
		&fs.Status, &fs.Reason, &variables, &context, &fs.Steps, &fs.RowVersion, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	fs.Variables = json.RawMessage(variables)
	fs.Context = json.RawMessage(context)
	fs.CreatedAt = fromMicros(createdAt)
	fs.UpdatedAt = fromMicros(updatedAt)
	return &fs, nil
}

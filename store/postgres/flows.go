package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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
	_, err := s.pool.Exec(ctx, `INSERT INTO flows (`+flowColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		f.ID, f.WorkspaceID, f.AgentID, f.Name, cmp.Or(f.Type, store.FlowTypeConversation), codec.RawArg(f.Definition),
		cmp.Or(f.Status, store.FlowStatusDraft), f.Version, f.CreatedAt, f.UpdatedAt, f.PublishedAt)
	if err != nil {
		return fmt.Errorf("inserting flow %s: %w", f.ID, mapParentErr(err))
	}
	return nil
}

// FlowGet returns the agent's flow with the given ID.
func (s *Store) FlowGet(ctx context.Context, workspaceID, agentID, id string) (*store.Flow, error) {
	f, err := scanFlow(s.pool.QueryRow(ctx, `SELECT `+flowColumns+` FROM flows
		WHERE workspace_id = $1 AND agent_id = $2 AND id = $3`, workspaceID, agentID, id))
	if err != nil {
		return nil, fmt.Errorf("getting flow %s: %w", id, mapErr(err))
	}
	return f, nil
}

// FlowGetByName returns the agent's flow with the given name.
func (s *Store) FlowGetByName(ctx context.Context, workspaceID, agentID, name string) (*store.Flow, error) {
	f, err := scanFlow(s.pool.QueryRow(ctx, `SELECT `+flowColumns+` FROM flows
		WHERE workspace_id = $1 AND agent_id = $2 AND name = $3`, workspaceID, agentID, name))
	if err != nil {
		return nil, fmt.Errorf("getting flow named %q: %w", name, mapErr(err))
	}
	return f, nil
}

// FlowList returns a page of the agent's flows, ordered by ID.
func (s *Store) FlowList(ctx context.Context, workspaceID, agentID string, p store.ListParams) ([]*store.Flow, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+flowColumns+` FROM flows
		WHERE workspace_id = $1 AND agent_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
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
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM flows WHERE workspace_id = $1 AND agent_id = $2`,
		workspaceID, agentID).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting flows: %w", err)
	}
	return n, nil
}

// FlowUpdate replaces the draft: name, definition and update time.
func (s *Store) FlowUpdate(ctx context.Context, f *store.Flow) error {
	tag, err := s.pool.Exec(ctx, `UPDATE flows SET name = $1, definition = $2, updated_at = $3
		WHERE workspace_id = $4 AND agent_id = $5 AND id = $6`,
		f.Name, codec.RawArg(f.Definition), f.UpdatedAt, f.WorkspaceID, f.AgentID, f.ID)
	if err == nil {
		err = affectedOne(tag)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM flows WHERE workspace_id = $1 AND agent_id = $2 AND id = $3`,
			workspaceID, agentID, id)
		if err != nil {
			return err
		}
		if err := affectedOne(tag); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM flow_versions WHERE workspace_id = $1 AND flow_id = $2`, workspaceID, id); err != nil {
			return err
		}
		tag, err = tx.Exec(ctx, `UPDATE flow_sessions SET status = $1, reason = $2, updated_at = $3,
			row_version = row_version + 1 WHERE workspace_id = $4 AND flow_id = $5 AND status = $6`,
			store.FlowSessionEnded, store.FlowDeletedReason, at, workspaceID, id, store.FlowSessionWaitingInput)
		if err != nil {
			return err
		}
		ended = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("deleting flow %s: %w", id, mapErr(err))
	}
	return int(ended), nil
}

// FlowPublish stores the flow's current draft as version latest+1 and marks
// the flow published, in one transaction. The flow row is locked, so
// concurrent publishes of one flow get consecutive versions.
func (s *Store) FlowPublish(ctx context.Context, workspaceID, agentID, id string, at time.Time) (*store.FlowVersion, error) {
	var v *store.FlowVersion
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		v, err = scanFlowVersion(tx.QueryRow(ctx, `UPDATE flows
			SET status = $1, version = version + 1, published_at = $2
			WHERE workspace_id = $3 AND agent_id = $4 AND id = $5
			RETURNING id, workspace_id, agent_id, version, name, definition, published_at`,
			store.FlowStatusPublished, at, workspaceID, agentID, id))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO flow_versions (`+flowVersionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			v.FlowID, v.WorkspaceID, v.AgentID, v.Version, v.Name, codec.RawArg(v.Definition), v.PublishedAt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("publishing flow %s: %w", id, mapErr(err))
	}
	return v, nil
}

// FlowVersionGet returns one published version of the workspace's flow.
func (s *Store) FlowVersionGet(ctx context.Context, workspaceID, flowID string, version int) (*store.FlowVersion, error) {
	v, err := scanFlowVersion(s.pool.QueryRow(ctx, `SELECT `+flowVersionColumns+` FROM flow_versions
		WHERE workspace_id = $1 AND flow_id = $2 AND version = $3`, workspaceID, flowID, version))
	if err != nil {
		return nil, fmt.Errorf("getting version %d of flow %s: %w", version, flowID, mapErr(err))
	}
	return v, nil
}

// FlowVersionList returns every published version of the workspace's flow,
// oldest first. A flow that is missing or never published has none.
func (s *Store) FlowVersionList(ctx context.Context, workspaceID, flowID string) ([]*store.FlowVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+flowVersionColumns+` FROM flow_versions
		WHERE workspace_id = $1 AND flow_id = $2 ORDER BY version`, workspaceID, flowID)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO flow_sessions (`+flowSessionColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14)`,
			fs.ID, fs.WorkspaceID, fs.AgentID, fs.FlowID, fs.FlowName, fs.Version, fs.State, fs.Status, fs.Reason,
			codec.RawArg(fs.Variables), codec.RawArg(fs.Context), len(steps), fs.CreatedAt, fs.UpdatedAt); err != nil {
			return err
		}
		return insertFlowSteps(ctx, tx, fs.WorkspaceID, fs.ID, 0, steps)
	})
	if err != nil {
		return fmt.Errorf("inserting flow session %s: %w", fs.ID, mapParentErr(err))
	}
	fs.RowVersion, fs.Steps = 1, int64(len(steps))
	return nil
}

// insertFlowSteps appends steps to a session's history after seq last, in
// one statement.
func insertFlowSteps(ctx context.Context, tx pgx.Tx, workspaceID, sessionID string, last int64, steps []json.RawMessage) error {
	if len(steps) == 0 {
		return nil
	}
	data := make([]string, len(steps))
	for i, step := range steps {
		data[i] = string(step)
	}
	_, err := tx.Exec(ctx, `INSERT INTO flow_session_steps (session_id, workspace_id, seq, data)
		SELECT $1, $2, $3 + ord, d FROM unnest($4::text[]) WITH ORDINALITY AS t(d, ord)`,
		sessionID, workspaceID, last, data)
	return err
}

// FlowSessionGet returns the workspace's flow session with the given ID.
func (s *Store) FlowSessionGet(ctx context.Context, workspaceID, id string) (*store.FlowSession, error) {
	fs, err := getFlowSession(ctx, s.pool, workspaceID, id)
	if err != nil {
		return nil, fmt.Errorf("getting flow session %s: %w", id, mapErr(err))
	}
	return fs, nil
}

func getFlowSession(ctx context.Context, q querier, workspaceID, id string) (*store.FlowSession, error) {
	return scanFlowSession(q.QueryRow(ctx, `SELECT `+flowSessionColumns+` FROM flow_sessions
		WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
}

// FlowSessionList returns a page of the workspace's flow sessions, newest
// first.
func (s *Store) FlowSessionList(ctx context.Context, workspaceID string, p store.FlowSessionListParams) ([]*store.FlowSession, error) {
	var (
		where = []string{"workspace_id = $1"}
		args  = []any{workspaceID}
	)
	filter := func(cond, v string) {
		if v != "" {
			args = append(args, v)
			where = append(where, cond+" $"+strconv.Itoa(len(args)))
		}
	}
	filter("id <", p.Cursor)
	filter("agent_id =", p.AgentID)
	filter("flow_id =", p.FlowID)
	filter("status =", p.Status)
	args = append(args, p.EffectiveLimit())
	rows, err := s.pool.Query(ctx, `SELECT `+flowSessionColumns+` FROM flow_sessions WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
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
	if err := updateFlowSession(ctx, s.pool, fs, steps); err != nil {
		return fmt.Errorf("updating flow session %s: %w", fs.ID, err)
	}
	return nil
}

// updateFlowSession writes fs at fs.RowVersion+1 and appends steps, in one
// transaction begun on db (the pool, or a connection already held), and sets
// fs.RowVersion and fs.Steps.
func updateFlowSession(ctx context.Context, db txBeginner, fs *store.FlowSession, steps []json.RawMessage) error {
	var stepCount int64
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE flow_sessions SET state = $1, status = $2, reason = $3,
			variables = $4, context = $5, updated_at = $6, steps = steps + $7, row_version = row_version + 1
			WHERE workspace_id = $8 AND id = $9 AND row_version = $10 RETURNING steps`,
			fs.State, fs.Status, fs.Reason, codec.RawArg(fs.Variables), codec.RawArg(fs.Context), fs.UpdatedAt, len(steps),
			fs.WorkspaceID, fs.ID, fs.RowVersion).Scan(&stepCount)
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM flow_sessions WHERE workspace_id = $1 AND id = $2)`,
				fs.WorkspaceID, fs.ID).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return store.ErrNotFound
			}
			return fmt.Errorf("%w: the session changed since row version %d", store.ErrConflict, fs.RowVersion)
		}
		if err != nil {
			return err
		}
		return insertFlowSteps(ctx, tx, fs.WorkspaceID, fs.ID, stepCount-int64(len(steps)), steps)
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
	rows, err := s.pool.Query(ctx, `SELECT workspace_id, session_id, seq, data FROM flow_session_steps
		WHERE session_id = $1 AND workspace_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
		sessionID, workspaceID, afterSeq, store.ListParams{Limit: limit}.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("listing steps of flow session %s: %w", sessionID, err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, func(row codec.Scanner) (*store.FlowStep, error) {
		var st store.FlowStep
		var data string
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

// flowSessionLockPrefix starts the name of a flow session's lock.
const flowSessionLockPrefix = "toolgate.store.flow_session"

// flowSessionLockName names a session's lock: unique per installation
// (schema), workspace and session. Its 64-bit hash is the advisory lock key;
// two names sharing a hash merely serialize each other.
func (s *Store) flowSessionLockName(workspaceID, id string) string {
	return flowSessionLockPrefix + ":" + s.schema + ":" + workspaceID + ":" + id
}

// FlowSessionAdvance runs fn with the session's current row and writes its
// result.
//
// While fn runs, a session-level advisory lock on the session is held on a
// pool connection set aside for it, so advances on every replica sharing the
// database wait for it; no transaction stays open, so a turn that waits on
// slow upstreams trips no idle-in-transaction timeout and blocks no other
// write. The session is read, and the result written, on that same
// connection. Within one process, callers queue in Go first: one per
// session, and at most flowLockConns turns at a time hold a connection for
// a lock, so the rest of the pool stays free for the queries fn makes
// through the store (without that cap, as many turns as the pool has
// connections would each hold one and wait for another). If the lock
// cannot be released (a broken connection), the connection is closed,
// which releases it.
func (s *Store) FlowSessionAdvance(ctx context.Context, workspaceID, id string,
	fn func(current *store.FlowSession) (*store.FlowSession, []json.RawMessage, error)) (*store.FlowSession, error) {
	stored, err := s.advanceFlowSession(ctx, workspaceID, id, fn)
	if err != nil {
		return nil, fmt.Errorf("advancing flow session %s: %w", id, err)
	}
	return stored, nil
}

func (s *Store) advanceFlowSession(ctx context.Context, workspaceID, id string,
	fn func(current *store.FlowSession) (*store.FlowSession, []json.RawMessage, error)) (*store.FlowSession, error) {
	name := s.flowSessionLockName(workspaceID, id)
	unlock, err := s.flowSessionLocks.Lock(ctx, name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := s.flowLockConns.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	defer s.flowLockConns.Release(1)

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, name); err != nil {
		// The wait may have been cancelled after the server granted the
		// lock: closing the connection releases anything it holds.
		_ = conn.Conn().Close(context.Background())
		conn.Release()
		return nil, fmt.Errorf("taking the session lock: %w", err)
	}
	defer func() {
		// Unlock even when ctx is done; a failure closes the connection,
		// which ends its session and so releases the lock.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, name); err != nil {
			_ = conn.Conn().Close(uctx)
		}
		conn.Release()
	}()

	current, err := getFlowSession(ctx, conn, workspaceID, id)
	if err != nil {
		return nil, mapErr(err)
	}
	next, steps, err := fn(current)
	if err != nil {
		return nil, err
	}
	if next == nil {
		return current, nil
	}
	write := *next
	write.WorkspaceID, write.ID, write.RowVersion = workspaceID, id, current.RowVersion
	if err := updateFlowSession(ctx, conn, &write, steps); err != nil {
		return nil, err
	}
	return &write, nil
}

func scanFlow(row codec.Scanner) (*store.Flow, error) {
	var (
		f          store.Flow
		definition *string
	)
	if err := row.Scan(&f.ID, &f.WorkspaceID, &f.AgentID, &f.Name, &f.Type, &definition, &f.Status, &f.Version,
		&f.CreatedAt, &f.UpdatedAt, &f.PublishedAt); err != nil {
		return nil, err
	}
	f.Definition = rawText(definition)
	f.CreatedAt = f.CreatedAt.UTC()
	f.UpdatedAt = f.UpdatedAt.UTC()
	f.PublishedAt = utcPtr(f.PublishedAt)
	return &f, nil
}

func scanFlowVersion(row codec.Scanner) (*store.FlowVersion, error) {
	var (
		v          store.FlowVersion
		definition *string
	)
	if err := row.Scan(&v.FlowID, &v.WorkspaceID, &v.AgentID, &v.Version, &v.Name, &definition, &v.PublishedAt); err != nil {
		return nil, err
	}
	v.Definition = rawText(definition)
	v.PublishedAt = v.PublishedAt.UTC()
	return &v, nil
}

func scanFlowSession(row codec.Scanner) (*store.FlowSession, error) {
	var (
		fs                 store.FlowSession
		variables, context *string
	)
	if err := row.Scan(&fs.ID, &fs.WorkspaceID, &fs.AgentID, &fs.FlowID, &fs.FlowName, &fs.Version, &fs.State,
		&fs.Status, &fs.Reason, &variables, &context, &fs.Steps, &fs.RowVersion, &fs.CreatedAt, &fs.UpdatedAt); err != nil {
		return nil, err
	}
	fs.Variables = rawText(variables)
	fs.Context = rawText(context)
	fs.CreatedAt = fs.CreatedAt.UTC()
	fs.UpdatedAt = fs.UpdatedAt.UTC()
	return &fs, nil
}

// rawText is a nullable JSON TEXT column as a document (nil for NULL).
func rawText(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

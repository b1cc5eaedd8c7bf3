package flows

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/toolgate/toolgate/store"
)

// Errors of the runtime. A missing flow or session (or one of another
// agent or workspace) wraps store.ErrNotFound.
var (
	// ErrNotPublished: the flow has no published version to run.
	ErrNotPublished = errors.New("the flow has no published version; publish it first")
	// ErrSessionClosed: the session ended or failed and takes no more
	// messages.
	ErrSessionClosed = errors.New("the session has ended; start a new one")
)

// RequestError is a start or message request the runtime refuses: Field
// names what is wrong.
type RequestError struct {
	Field   string
	Message string
}

// Error implements error.
func (e *RequestError) Error() string { return e.Field + ": " + e.Message }

// Bounds of what a request may bring.
const (
	// MessageMaxBytes bounds a user's message.
	MessageMaxBytes = 16 << 10
	// StartValuesMaxBytes bounds the JSON of a start's context, and of its
	// variables.
	StartValuesMaxBytes = 64 << 10
	// VariablesMaxBytes bounds a session's variables; a turn that grows
	// them past it fails the session.
	VariablesMaxBytes = 1 << 20
	// MaxStatesPerTurn is how many states one turn may enter; one more
	// fails the session, naming the loop.
	MaxStatesPerTurn = 50
)

// Store is what the runtime needs of the store (store.Store has it).
type Store interface {
	FlowGetByName(ctx context.Context, workspaceID, agentID, name string) (*store.Flow, error)
	FlowVersionGet(ctx context.Context, workspaceID, flowID string, version int) (*store.FlowVersion, error)
	FlowSessionInsert(ctx context.Context, s *store.FlowSession, steps []json.RawMessage) error
	FlowSessionGet(ctx context.Context, workspaceID, id string) (*store.FlowSession, error)
	FlowSessionAdvance(ctx context.Context, workspaceID, id string, fn func(current *store.FlowSession) (*store.FlowSession, []json.RawMessage, error)) (*store.FlowSession, error)
	FlowStepList(ctx context.Context, workspaceID, sessionID string, afterSeq int64, limit int) ([]*store.FlowStep, error)
}

// RunnerConfig holds a Runner's parts.
type RunnerConfig struct {
	// Store keeps sessions and published versions. Required.
	Store Store
	// Caller runs API_CALL actions. Required.
	Caller Caller
	// Now is the clock. Defaults to time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Programs compiles and caches published versions; share one with the
	// invoker, whose background workers run fire-and-forget calls from it.
	// Defaults to NewPrograms(Store, CacheSizeDefault).
	Programs *Programs
}

// Runner runs conversation flow sessions: it starts them and applies the
// user's messages, one turn at a time per session on every replica, each
// published version compiled once.
type Runner struct {
	store    Store
	caller   Caller
	now      func() time.Time
	log      *slog.Logger
	programs *Programs
}

// NewRunner returns a Runner.
func NewRunner(cfg RunnerConfig) *Runner {
	r := &Runner{store: cfg.Store, caller: cfg.Caller, now: cfg.Now, log: cmp.Or(cfg.Logger, slog.Default()),
		programs: cfg.Programs}
	if r.programs == nil {
		r.programs = NewPrograms(cfg.Store, CacheSizeDefault)
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// StartParams start a session.
type StartParams struct {
	WorkspaceID string
	AgentID     string
	// Flow names the agent's flow; its latest published version runs.
	Flow string
	// Context is the caller context: user_id (required), channel,
	// conversation_id.
	Context map[string]any
	// Variables are the session's first variables.
	Variables map[string]any
	// Message is the user's message that started the conversation, if any:
	// the latest message of the first turn (it is not any state's input).
	Message string
}

// Start starts a session of the flow's latest published version and runs
// its first turn: from the start state until a state waits for input or
// the session ends.
func (r *Runner) Start(ctx context.Context, p StartParams) (*Turn, error) {
	callerCtx, vars, err := checkStart(p)
	if err != nil {
		return nil, err
	}
	flow, err := r.store.FlowGetByName(ctx, p.WorkspaceID, p.AgentID, p.Flow)
	if err != nil {
		return nil, fmt.Errorf("starting flow %q: %w", p.Flow, err)
	}
	if flow.Version == 0 {
		return nil, fmt.Errorf("starting flow %q: %w", p.Flow, ErrNotPublished)
	}
	prog, err := r.program(ctx, p.WorkspaceID, flow.ID, flow.Version)
	if err != nil {
		return nil, fmt.Errorf("starting flow %q: %w", p.Flow, err)
	}
	now := r.now().UTC()
	row := &store.FlowSession{
		ID: store.NewIDAt(now), WorkspaceID: p.WorkspaceID, AgentID: p.AgentID, FlowID: flow.ID,
		FlowName: prog.info.FlowName, Version: prog.info.Version, State: prog.start,
		Status: store.FlowSessionWaitingInput, CreatedAt: now,
	}
	t := r.newTurn(prog, row, vars, callerCtx)
	t.message = p.Message
	if p.Message != "" {
		t.step(Step{Kind: StepInput, Text: p.Message, Note: "the message that started the conversation"})
	}
	if err := t.enter(ctx, prog.start); err != nil {
		return nil, err
	}
	steps, err := t.finish(row)
	if err != nil {
		return nil, err
	}
	if err := r.store.FlowSessionInsert(ctx, row, steps); err != nil {
		return nil, fmt.Errorf("saving the new session: %w", err)
	}
	return t.result(), nil
}

// checkStart checks and normalizes a start's context and variables.
func checkStart(p StartParams) (callerCtx, vars map[string]any, err error) {
	if len(p.Message) > MessageMaxBytes {
		return nil, nil, &RequestError{Field: "message", Message: fmt.Sprintf("must be at most %d bytes", MessageMaxBytes)}
	}
	userID, _ := p.Context["user_id"].(string)
	if userID == "" {
		return nil, nil, &RequestError{Field: "context.user_id", Message: "is required: the user the conversation is with"}
	}
	callerCtx, err = startValues("context", p.Context)
	if err != nil {
		return nil, nil, err
	}
	vars, err = startValues("variables", p.Variables)
	if err != nil {
		return nil, nil, err
	}
	return callerCtx, vars, nil
}

func startValues(field string, m map[string]any) (map[string]any, error) {
	if m == nil {
		return map[string]any{}, nil
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, &RequestError{Field: field, Message: "must be a JSON object: " + err.Error()}
	}
	if len(data) > StartValuesMaxBytes {
		return nil, &RequestError{Field: field, Message: fmt.Sprintf("must be at most %d bytes of JSON", StartValuesMaxBytes)}
	}
	return decodeObject(data)
}

// Send applies the user's message to the session: one turn, from the state
// that waits until a state waits again or the session ends. Turns of one
// session run one after the other, whichever replica receives them. A
// session of another agent is store.ErrNotFound; one that ended is
// ErrSessionClosed.
func (r *Runner) Send(ctx context.Context, workspaceID, agentID, sessionID, text string) (*Turn, error) {
	if len(text) > MessageMaxBytes {
		return nil, &RequestError{Field: "text", Message: fmt.Sprintf("must be at most %d bytes", MessageMaxBytes)}
	}
	var result *Turn
	_, err := r.store.FlowSessionAdvance(ctx, workspaceID, sessionID, func(cur *store.FlowSession) (*store.FlowSession, []json.RawMessage, error) {
		if cur.AgentID != agentID {
			return nil, nil, store.ErrNotFound
		}
		if cur.Status != store.FlowSessionWaitingInput {
			return nil, nil, ErrSessionClosed
		}
		next := *cur
		prog, err := r.program(ctx, workspaceID, cur.FlowID, cur.Version)
		var closeStatus, closeReason string
		var ce *CompileError
		var de *DecodeError
		switch {
		case errors.Is(err, store.ErrNotFound):
			// The flow was deleted (with its agent, or before FlowDelete
			// could end this session).
			closeStatus, closeReason = store.FlowSessionEnded, store.FlowDeletedReason
		case errors.As(err, &ce) || errors.As(err, &de):
			closeStatus, closeReason = store.FlowSessionFailed, err.Error()
		case err != nil:
			return nil, nil, err
		}
		t, err := r.resume(prog, &next)
		if err != nil {
			return nil, nil, err
		}
		if closeStatus != "" {
			t.step(Step{Kind: StepInput, Text: text})
			t.status, t.reason = closeStatus, closeReason
			kind := StepEnd
			if closeStatus == store.FlowSessionFailed {
				kind = StepFail
			}
			t.step(Step{Kind: kind, Note: closeReason})
		} else if err := t.receive(ctx, text); err != nil {
			return nil, nil, err
		}
		steps, err := t.finish(&next)
		if err != nil {
			return nil, nil, err
		}
		result = t.result()
		return &next, steps, nil
	})
	if errors.Is(err, store.ErrConflict) {
		// The flow was deleted while the turn ran: the session is ended.
		return nil, fmt.Errorf("session %s: %w", sessionID, ErrSessionClosed)
	}
	if err != nil {
		return nil, err
	}
	return result, nil
}

// resume rebuilds a turn from a stored session.
func (r *Runner) resume(prog *Program, row *store.FlowSession) (*turn, error) {
	vars, err := decodeObject(row.Variables)
	if err != nil {
		return nil, fmt.Errorf("decoding the variables of session %s: %w", row.ID, err)
	}
	callerCtx, err := decodeObject(row.Context)
	if err != nil {
		return nil, fmt.Errorf("decoding the context of session %s: %w", row.ID, err)
	}
	if prog == nil {
		prog = &Program{info: VersionInfo{FlowID: row.FlowID, FlowName: row.FlowName, Version: row.Version}}
	}
	return r.newTurn(prog, row, vars, callerCtx), nil
}

// HistoryListMax is how many of a session's latest steps Session returns.
const HistoryListMax = store.ListLimitMax

// Session returns the agent's session with its latest HistoryListMax
// history steps.
func (r *Runner) Session(ctx context.Context, workspaceID, agentID, sessionID string) (*Session, error) {
	row, err := r.store.FlowSessionGet(ctx, workspaceID, sessionID)
	if err != nil {
		return nil, err
	}
	if row.AgentID != agentID {
		return nil, fmt.Errorf("getting flow session %s: %w", sessionID, store.ErrNotFound)
	}
	steps, err := r.store.FlowStepList(ctx, workspaceID, sessionID, max(0, row.Steps-HistoryListMax), HistoryListMax)
	if err != nil {
		return nil, err
	}
	return SessionFromRow(row, steps)
}

// program returns the compiled version, compiling it on first use.
func (r *Runner) program(ctx context.Context, workspaceID, flowID string, version int) (*Program, error) {
	return r.programs.Get(ctx, workspaceID, flowID, version)
}

func itoa(n int) string { return strconv.Itoa(n) }

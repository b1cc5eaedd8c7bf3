package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Request is one call of an agent's tool by name, from any surface.
type Request struct {
	WorkspaceID string
	AgentID     string
	// Tool is the tool's name as the agent knows it.
	Tool string
	// Arguments is the JSON object the model sent (empty means {}).
	Arguments json.RawMessage
	// Context is the caller context (user_id, channel, conversation_id...).
	// The gateway sets agent_id itself: a caller cannot claim another agent.
	Context map[string]any
	// Background overrides the tool's setting where the tool allows it.
	Background *bool
	// CallbackURL receives a background run's result.
	CallbackURL string
	// IdempotencyKey makes a repeated call return the first call's run.
	IdempotencyKey string
	// ToolCallID is the model's ID of this tool call, when the surface
	// knows it (traced as gen_ai.tool.call.id).
	ToolCallID string
	// ConfirmationToken confirms a call of a tool with a confirm (the
	// REST field). Surfaces without it pass the token as the
	// _confirmation_token argument, which is taken out of Arguments.
	ConfirmationToken string
}

// MaxIdempotencyKeyBytes bounds a client's Idempotency-Key.
const MaxIdempotencyKeyBytes = 255

// IdempotencyWindow is how long a client's Idempotency-Key is remembered.
const IdempotencyWindow = 24 * time.Hour

// Call runs one of an agent's tools. A queued background run comes back as
// a result with Status "queued". The error is a *problem.Error when the
// request as a whole cannot be served (NotFound for a tool the agent does
// not have, BadRequest for a bad option, Conflict for a reused
// idempotency key) or an internal error; every failure of the call itself
// is an outcome in the result.
func (iv *Invoker) Call(ctx context.Context, req *Request) (res *tools.Result, err error) {
	ctx, span := iv.startCall(ctx, callSpan{req.WorkspaceID, req.AgentID, req.Tool, req.ToolCallID})
	defer func() { endCall(ctx, span, res, err) }()
	if !ValidIdempotencyKey(req.IdempotencyKey) {
		return nil, problem.BadRequestf("", "Idempotency-Key must be at most 255 printable ASCII characters")
	}
	if err := iv.admit(); err != nil {
		return nil, err
	}
	prepared, err := iv.catalog.AgentTool(ctx, req.WorkspaceID, req.AgentID, req.Tool)
	if err != nil {
		if errors.Is(err, tools.ErrToolNotFound) || errors.Is(err, store.ErrNotFound) {
			return nil, problem.NotFoundf("tool")
		}
		return nil, err
	}
	background := prepared.Def.Background
	if req.Background != nil && *req.Background != background {
		if !prepared.Def.AllowBackgroundOverride {
			return nil, problem.BadRequestf("background", "this tool does not allow the call to choose background or foreground")
		}
		background = *req.Background
	}
	if req.CallbackURL != "" {
		// A call that awaits approval runs in the background once approved.
		if !background && !prepared.Def.NeedsApproval() {
			return nil, problem.BadRequestf("callback_url", "callback_url applies only to background calls and to calls that need approval")
		}
		if !tools.IsHTTPURL(req.CallbackURL) {
			return nil, problem.BadRequestf("callback_url", "callback_url must be an absolute http or https URL")
		}
	}
	token, args := takeConfirmationToken(req.ConfirmationToken, req.Arguments)
	call := &tools.Call{
		WorkspaceID:    req.WorkspaceID,
		AgentID:        req.AgentID,
		Tool:           prepared,
		Arguments:      args,
		Context:        CallerContext(req.Context, req.AgentID),
		IdempotencyKey: req.IdempotencyKey,
	}
	key := req.IdempotencyKey
	if key != "" {
		// One call of a key at a time in this process; across replicas the
		// store's claim decides.
		unlock := iv.idempotency.lock(req.WorkspaceID + "\x00" + req.AgentID + "\x00" + key)
		defer unlock()
		prev, err := iv.claimKey(ctx, call, key)
		if err != nil {
			return nil, err
		}
		if prev != nil {
			return tools.ResultFromRun(prev), nil
		}
	}
	g := guards{confirm: true, approval: true, cache: true, token: token, callbackURL: req.CallbackURL}
	if background && iv.queue != nil {
		g.background = true
		res, err = iv.submit(ctx, call, g)
	} else {
		res, err = iv.run(ctx, call, g)
	}
	if key != "" {
		if err != nil || !sentAnything(res) {
			iv.releaseKey(ctx, call, key)
		} else if ferr := iv.engine.Recorder().Flush(ctx); ferr != nil {
			// The run is written before the answer, so the key sent to
			// any replica finds it; the call itself already happened.
			iv.log.WarnContext(ctx, "writing the run of an idempotent call", "run_id", res.RunID, "err", ferr)
		}
	}
	return res, err
}

// run attaches the call's connection and runs it in the foreground,
// through the guardrails g applies.
func (iv *Invoker) run(ctx context.Context, call *tools.Call, g guards) (*tools.Result, error) {
	refused, err := iv.attachConnection(ctx, call)
	if err != nil {
		return nil, err
	}
	if refused != "" {
		res, record := iv.engine.Refuse(call, tools.OutcomeConfigError, refused)
		iv.engine.Recorder().Record(record)
		return res, nil
	}
	if guarded(call, g) {
		return iv.runGuarded(ctx, call, g)
	}
	return iv.engine.Run(ctx, call), nil
}

// submit checks a background call synchronously and queues it (once
// confirmed and approved). A call that fails the check is recorded and
// returned as it is.
func (iv *Invoker) submit(ctx context.Context, call *tools.Call, g guards) (*tools.Result, error) {
	refused, err := iv.attachConnection(ctx, call)
	if err != nil {
		return nil, err
	}
	if refused != "" {
		res, record := iv.engine.Refuse(call, tools.OutcomeConfigError, refused)
		iv.engine.Recorder().Record(record)
		return res, nil
	}
	if guarded(call, g) {
		return iv.runGuarded(ctx, call, g)
	}
	callbackURL := g.callbackURL
	res, record := iv.engine.Check(ctx, call)
	if res.Status != store.RunStatusQueued {
		iv.engine.Recorder().Record(record)
		return res, nil
	}
	timeout := time.Duration(call.Tool.Def.EffectiveTimeoutMS()) * time.Millisecond
	if err := iv.queue.Submit(ctx, record, timeout, callbackURL); err != nil {
		return nil, err
	}
	return res, nil
}

// attachConnection resolves the tool's connection into the call. A
// connection that does not exist is the call's config_error (returned as
// the detail an admin reads), not the request's error.
func (iv *Invoker) attachConnection(ctx context.Context, call *tools.Call) (refused string, err error) {
	if call.Tool.Def == nil {
		return "", nil
	}
	name := call.Tool.Def.Connection
	if name == "" {
		return "", nil
	}
	conn, err := iv.catalog.Connection(ctx, call.WorkspaceID, name)
	if errors.Is(err, store.ErrNotFound) {
		return "connection " + name + " does not exist", nil
	}
	if err != nil {
		return "", err
	}
	call.Conn = conn
	return "", nil
}

// CallerContext is the caller's context with the gateway's own facts set: a
// caller cannot claim to be another agent.
func CallerContext(ctx map[string]any, agentID string) map[string]any {
	if ctx == nil {
		ctx = make(map[string]any, 1)
	}
	if agentID != "" {
		ctx["agent_id"] = agentID
	}
	return ctx
}

// ValidIdempotencyKey reports whether a client's Idempotency-Key is usable:
// at most MaxIdempotencyKeyBytes printable ASCII characters.
func ValidIdempotencyKey(k string) bool {
	if len(k) > MaxIdempotencyKeyBytes {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// admit refuses a call before anything is sent while its run could not be
// recorded (the run history is full of runs the store has not taken).
func (iv *Invoker) admit() error {
	if err := iv.engine.Admit(); err != nil {
		return &problem.Error{Kind: problem.Unavailable, Type: "run_history_unavailable",
			Message: "the gateway cannot record runs right now (its database is not taking writes), so it runs no tool; retry shortly", Err: err}
	}
	return nil
}

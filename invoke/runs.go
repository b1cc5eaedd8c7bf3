package invoke

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// LoadRun finds a run of the workspace, looking first among those this
// process has not yet written. A run that does not exist is NotFound.
func (iv *Invoker) LoadRun(ctx context.Context, workspaceID, runID string) (*store.Run, error) {
	if r, ok := iv.engine.Recorder().Get(workspaceID, runID); ok {
		return r, nil
	}
	r, err := iv.store.RunGet(ctx, workspaceID, runID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFoundf("run")
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// AgentRun shows an agent its own run as a call result (what it polls for
// a background run); another agent's run is NotFound.
func (iv *Invoker) AgentRun(ctx context.Context, workspaceID, agentID, runID string) (*tools.Result, error) {
	r, err := iv.LoadRun(ctx, workspaceID, runID)
	if err != nil {
		return nil, err
	}
	if r.AgentID != agentID {
		return nil, problem.NotFoundf("run")
	}
	return tools.ResultFromRun(r), nil
}

// Replay runs a run's tool version again with its arguments and context (or
// with args, when given), as a new run linked to the old. A run of a draft
// (version 0) replays the tool's current draft.
func (iv *Invoker) Replay(ctx context.Context, workspaceID, runID string, args json.RawMessage) (res *tools.Result, err error) {
	if err := iv.admit(); err != nil {
		return nil, err
	}
	ctx, span := iv.startCall(ctx, callSpan{workspaceID: workspaceID})
	defer func() { endCall(ctx, span, res, err) }()
	old, err := iv.LoadRun(ctx, workspaceID, runID)
	if err != nil {
		return nil, err
	}
	var callerCtx map[string]any
	_ = json.Unmarshal(old.Context, &callerCtx)
	if fr, ok := flowRunOf(old); ok {
		// A conversation flow's call: its request comes from the flow
		// version, its variables from the run's arguments.
		if len(args) > 0 {
			return nil, problem.BadRequestf("arguments", "a flow's call replays with the variables it was made with; edit them in the flow session instead")
		}
		call := &tools.Call{WorkspaceID: workspaceID, AgentID: old.AgentID, Arguments: old.Arguments, Context: callerCtx, ReplayOf: old.ID}
		err := iv.flowAttemptCall(ctx, old, call, fr)
		if errors.Is(err, flows.ErrNoAction) || errors.Is(err, store.ErrNotFound) {
			return nil, problem.NotFoundf("flow call of the run")
		}
		if err != nil {
			return nil, err
		}
		return iv.run(ctx, call, guards{})
	}
	var prepared *tools.Prepared
	if old.ToolVersion > 0 {
		prepared, err = iv.catalog.Version(ctx, workspaceID, old.ToolID, old.ToolVersion)
	} else {
		prepared, err = iv.prepareDraft(ctx, workspaceID, old.ToolID)
	}
	if errors.Is(err, tools.ErrToolNotFound) || errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFoundf("tool of the run")
	}
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		args = old.Arguments
	}
	// An admin's replay answers to the limits only: a person asked for it.
	return iv.run(ctx, &tools.Call{WorkspaceID: workspaceID, AgentID: old.AgentID, Tool: prepared,
		Arguments: args, Context: callerCtx, ReplayOf: old.ID}, guards{})
}

// TestRequest is a run of a tool's draft by an admin.
type TestRequest struct {
	WorkspaceID string
	ToolID      string
	Arguments   json.RawMessage
	Context     map[string]any
	// DryRun renders the request and returns it without sending it.
	DryRun bool
}

// TestDraft runs a tool's current draft (recorded as version 0); a dry run
// returns the rendered, redacted request without sending or recording.
func (iv *Invoker) TestDraft(ctx context.Context, req *TestRequest) (res *tools.Result, err error) {
	ctx, span := iv.startCall(ctx, callSpan{workspaceID: req.WorkspaceID})
	defer func() { endCall(ctx, span, res, err) }()
	prepared, err := iv.prepareDraft(ctx, req.WorkspaceID, req.ToolID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFoundf("tool")
	}
	if err != nil {
		return nil, err
	}
	call := &tools.Call{WorkspaceID: req.WorkspaceID, Tool: prepared, Arguments: req.Arguments,
		Context: CallerContext(req.Context, "")}
	if !req.DryRun {
		if err := iv.admit(); err != nil {
			return nil, err
		}
		return iv.run(ctx, call, guards{})
	}
	refused, err := iv.attachConnection(ctx, call)
	if err != nil {
		return nil, err
	}
	if refused != "" {
		res, _ := iv.engine.Refuse(call, tools.OutcomeConfigError, refused)
		return res, nil
	}
	return iv.engine.DryRun(ctx, call), nil
}

// prepareDraft prepares a tool's current draft (version 0).
func (iv *Invoker) prepareDraft(ctx context.Context, workspaceID, toolID string) (*tools.Prepared, error) {
	t, err := iv.store.ToolGet(ctx, workspaceID, toolID)
	if err != nil {
		return nil, err
	}
	prepared, err := tools.PrepareJSON(t.ID, 0, t.Definition)
	if err != nil {
		return nil, problem.Invalidf(nil, "the draft cannot be run: %s", err.Error())
	}
	return prepared, nil
}

// AgentTools returns the agent's activated, published tools in activation
// order (what the agent may call); an agent that does not exist is
// NotFound.
func (iv *Invoker) AgentTools(ctx context.Context, workspaceID, agentID string) ([]*tools.Prepared, error) {
	list, err := iv.catalog.AgentTools(ctx, workspaceID, agentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFoundf("agent")
	}
	return list, err
}

// AgentToolVersions returns the published versions of the agent's
// activated tools in activation order, unprepared (what a listing of them
// needs; see tools.Catalog.AgentToolVersions); an agent that does not
// exist is NotFound.
func (iv *Invoker) AgentToolVersions(ctx context.Context, workspaceID, agentID string) ([]store.ToolVersionRef, error) {
	list, err := iv.catalog.AgentToolVersions(ctx, workspaceID, agentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFoundf("agent")
	}
	return list, err
}

// Connection returns a workspace's connection by name, opened for use (the
// chat runner's model API key); one that does not exist is
// store.ErrNotFound.
func (iv *Invoker) Connection(ctx context.Context, workspaceID, name string) (*tools.Connection, error) {
	return iv.catalog.Connection(ctx, workspaceID, name)
}

package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Attempt is one attempt of a queued background run, as a worker makes it.
type Attempt struct {
	// Result is the call's result; Record its redacted run record, not yet
	// stored (the worker writes it in its job's transaction).
	Result *tools.Result
	Record *store.Run
	// MaxAttempts is how many attempts the tool allows.
	MaxAttempts int
	// Wait, when set, means a limit held the attempt back: nothing was
	// sent, Result and Record are nil, and the run should be tried again
	// after Wait without counting an attempt.
	Wait time.Duration
}

// RunAttempt makes attempt number attempt of a queued background run
// (prior holds the earlier ones): it resolves the run's tool version and
// connection and executes the call from the arguments and context as
// submitted. A tool version or connection that no longer exists ends the
// run with config_error. The error is one the attempt should be retried
// after (the store is unreachable).
func (iv *Invoker) RunAttempt(ctx context.Context, run *store.Run, attempt int, prior []tools.Attempt) (out *Attempt, err error) {
	ctx, span := iv.startCall(ctx, callSpan{run.WorkspaceID, run.AgentID, run.ToolName, ""})
	defer func() {
		var res *tools.Result
		if out != nil {
			res = out.Result
		}
		endCall(ctx, span, res, err)
	}()
	var callerCtx map[string]any
	_ = json.Unmarshal(run.Context, &callerCtx)
	call := &tools.Call{
		WorkspaceID: run.WorkspaceID, AgentID: run.AgentID, Arguments: run.Arguments, Context: callerCtx,
		RunID: run.ID, IdempotencyKey: run.IdempotencyKey, ReplayOf: run.ReplayOf,
		Attempt: attempt, PriorAttempts: prior, CreatedAt: run.CreatedAt,
	}
	if fr, ok := flowRunOf(run); ok {
		// A conversation flow's fire-and-forget call.
		err := iv.flowAttemptCall(ctx, run, call, fr)
		if errors.Is(err, flows.ErrNoAction) || errors.Is(err, store.ErrNotFound) {
			call.Tool = &tools.Prepared{ToolID: run.ToolID, Name: run.ToolName, Version: run.ToolVersion}
			res, record := iv.engine.Refuse(call, tools.OutcomeConfigError,
				fmt.Sprintf("flow %s version %d no longer has this call", fr.info.FlowName, fr.info.Version))
			return &Attempt{Result: res, Record: record, MaxAttempts: tools.MaxAttemptsDefault}, nil
		}
		if err != nil {
			return nil, err
		}
		return iv.attemptWith(ctx, call)
	}
	prepared, err := iv.catalog.Version(ctx, run.WorkspaceID, run.ToolID, run.ToolVersion)
	if errors.Is(err, tools.ErrToolNotFound) {
		call.Tool = &tools.Prepared{ToolID: run.ToolID, Name: run.ToolName, Version: run.ToolVersion}
		res, record := iv.engine.Refuse(call, tools.OutcomeConfigError,
			fmt.Sprintf("tool %s version %d no longer exists", run.ToolName, run.ToolVersion))
		return &Attempt{Result: res, Record: record, MaxAttempts: tools.MaxAttemptsDefault}, nil
	}
	if err != nil {
		return nil, err
	}
	call.Tool = prepared
	return iv.attemptWith(ctx, call)
}

// attemptWith makes an attempt of a prepared call.
func (iv *Invoker) attemptWith(ctx context.Context, call *tools.Call) (*Attempt, error) {
	out := &Attempt{MaxAttempts: call.Tool.Def.EffectiveMaxAttempts()}
	refused, err := iv.attachConnection(ctx, call)
	if err != nil {
		return nil, err
	}
	if refused != "" {
		out.Result, out.Record = iv.engine.Refuse(call, tools.OutcomeConfigError, refused)
		return out, nil
	}
	if !guarded(call, guards{cache: true}) {
		out.Result, out.Record = iv.engine.Execute(ctx, call)
		return out, nil
	}
	// Limits and the cache apply to each attempt, as to a foreground call.
	in := iv.engine.Inspect(ctx, call)
	if in.Failed != nil {
		out.Result, out.Record = in.Failed, in.Record
		return out, nil
	}
	res, record, wait, err := iv.send(ctx, call, in, true)
	if err != nil {
		return nil, err
	}
	out.Result, out.Record, out.Wait = res, record, wait
	return out, nil
}

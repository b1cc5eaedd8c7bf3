package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// FlowCaller runs conversation flows' API_CALL actions as ordinary runs:
// each is validated, rendered, sent and recorded exactly like a tool call,
// and a fire-and-forget one is a durable background run. It implements
// flows.Caller.
type FlowCaller struct{ iv *Invoker }

var _ flows.Caller = FlowCaller{}

// FlowCaller returns the invoker as a flow runtime's caller.
func (iv *Invoker) FlowCaller() FlowCaller { return FlowCaller{iv} }

// Call runs one API_CALL. A missing connection or tool is the run's
// config_error, not an error; the error is one the turn must stop on (the
// store is unreachable, the run history cannot take the run).
func (fc FlowCaller) Call(ctx context.Context, ac *flows.ActionCall) (*flows.ActionResult, error) {
	iv := fc.iv
	if err := iv.admit(); err != nil {
		return nil, err
	}
	call := &tools.Call{WorkspaceID: ac.WorkspaceID, AgentID: ac.AgentID, Tool: ac.Request, Arguments: ac.Arguments,
		Variables: ac.Variables, Context: CallerContext(ac.Context, ac.AgentID), Headers: ac.Headers}
	if ac.Tool != "" {
		prepared, err := iv.catalog.AgentTool(ctx, ac.WorkspaceID, ac.AgentID, ac.Tool)
		if errors.Is(err, tools.ErrToolNotFound) || errors.Is(err, store.ErrNotFound) {
			call.Tool = &tools.Prepared{Name: ac.Tool}
			res, record := iv.engine.Refuse(call, tools.OutcomeConfigError,
				fmt.Sprintf("the flow calls tool %s, which the agent does not have (published and activated)", ac.Tool))
			iv.engine.Recorder().Record(record)
			return actionResult(res), nil
		}
		if err != nil {
			return nil, err
		}
		call.Tool, call.Variables = prepared, nil
	}
	var res *tools.Result
	var err error
	if ac.Request != nil && len(call.Arguments) == 0 {
		// A worker (a fire-and-forget call) and a replay render
		// {{variables.*}} from the run's arguments.
		if call.Arguments, err = json.Marshal(map[string]any{"variables": ac.Variables}); err != nil {
			return nil, err
		}
	}
	if ac.FireAndForget && iv.queue != nil {
		res, err = iv.submit(ctx, call, guards{approval: true, background: true})
	} else {
		res, err = iv.run(ctx, call, guards{approval: true, cache: true})
	}
	if err != nil {
		return nil, err
	}
	return actionResult(res), nil
}

func actionResult(res *tools.Result) *flows.ActionResult {
	out := &flows.ActionResult{RunID: res.RunID, Outcome: res.Outcome, StatusCode: res.StatusCode, Body: res.Result}
	if res.Status == store.RunStatusQueued || res.Status == store.RunStatusAwaitingApproval {
		out.Outcome = ""
	}
	return out
}

// flowRun is what a background worker needs to run a flow's
// fire-and-forget call again: the run information the flow put in the
// run's context, and the variables it put in its arguments.
type flowRun struct {
	info flows.RunInfo
	vars map[string]any
}

// flowRunOf reads a run's flow information; ok is false for a run that no
// flow made.
func flowRunOf(run *store.Run) (flowRun, bool) {
	var ctx struct {
		Flow *flows.RunInfo `json:"flow"`
	}
	if json.Unmarshal(run.Context, &ctx) != nil || ctx.Flow == nil || ctx.Flow.FlowID != run.ToolID {
		return flowRun{}, false
	}
	var args struct {
		Variables map[string]any `json:"variables"`
	}
	_ = json.Unmarshal(run.Arguments, &args)
	return flowRun{info: *ctx.Flow, vars: args.Variables}, true
}

// flowAttemptCall prepares a background attempt of a flow's call: its
// request, variables and identification headers, rebuilt from the flow
// version it was made by.
func (iv *Invoker) flowAttemptCall(ctx context.Context, run *store.Run, call *tools.Call, fr flowRun) error {
	if iv.flowPrograms == nil {
		return flows.ErrNoAction
	}
	prepared, err := iv.flowPrograms.ActionRequest(ctx, run.WorkspaceID, fr.info)
	if err != nil {
		return err
	}
	call.Tool, call.Variables = prepared, fr.vars
	call.Headers = flows.Headers(fr.info.State, fr.info.FlowName, run.AgentID, call.Context, fr.vars)
	return nil
}

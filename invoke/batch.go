package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sync"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
)

// Bounds of a model's batch of tool calls.
const (
	// MaxBatchCalls bounds the calls of one batch.
	MaxBatchCalls = 128
	// BatchConcurrency bounds how many calls of one batch run at once.
	BatchConcurrency = 8
)

// BatchCall is one tool call of a model's batch.
type BatchCall struct {
	Tool      string
	Arguments json.RawMessage
	// ID is the model's ID of the call, when the surface has one.
	ID string
	// ConfirmationToken confirms the call (see Request); the
	// _confirmation_token argument does too.
	ConfirmationToken string
}

// CallBatch runs a model's tool calls as an agent, at most
// BatchConcurrency at once, each with its own copy of callerCtx, and
// returns what the model reads of each, in order. Anything wrong with one
// call (an unknown tool, malformed arguments, an upstream failure) is that
// call's answer; the error is one the whole batch must fail with (the
// store is down, say).
func (iv *Invoker) CallBatch(ctx context.Context, workspaceID, agentID string, calls []BatchCall, callerCtx map[string]any) ([]Answer, error) {
	answers := make([]Answer, len(calls))
	errs := make([]error, len(calls))
	sem := make(chan struct{}, BatchConcurrency)
	var wg sync.WaitGroup
	for i, call := range calls {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := iv.Call(ctx, &Request{WorkspaceID: workspaceID, AgentID: agentID, Tool: call.Tool,
				Arguments: call.Arguments, Context: maps.Clone(callerCtx), ToolCallID: call.ID,
				ConfirmationToken: call.ConfirmationToken})
			switch {
			case problem.Is(err, problem.NotFound):
				answers[i] = Answer{Kind: AnswerFailed, Text: prompts.UnknownTool(call.Tool)}
			case err != nil:
				errs[i] = err
			default:
				answers[i] = AnswerOf(res)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return answers, nil
}

// Agent returns an agent's stored settings (instructions, model); one that
// does not exist is NotFound.
func (iv *Invoker) Agent(ctx context.Context, workspaceID, agentID string) (*store.Agent, error) {
	a, err := iv.store.AgentGet(ctx, workspaceID, agentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFoundf("agent")
	}
	return a, err
}

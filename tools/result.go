package tools

import (
	"encoding/json"
	"net/http"

	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
)

// ResultFromRun shapes a stored run as a call's result: what an agent polls
// for and what a callback delivers.
func ResultFromRun(r *store.Run) *Result {
	res := &Result{
		RunID: r.ID, Tool: r.ToolName, Version: r.ToolVersion, Status: r.Status, Outcome: r.Outcome,
		OK: r.Outcome == OutcomeSuccess, StatusCode: r.StatusCode, Result: r.Result,
		Truncated: r.Truncated, DurationMS: r.DurationMS, CacheHit: r.CacheHit,
	}
	if len(res.Result) == 0 {
		res.Result = json.RawMessage("null")
	}
	if len(r.Attempts) > 0 {
		_ = json.Unmarshal(r.Attempts, &res.Attempts)
	}
	switch r.Outcome {
	case "", OutcomeSuccess:
	case OutcomeInvalidArguments:
		res.Error = &CallError{Type: r.Outcome, Message: r.Error}
	case OutcomeRejected:
		// The admin's reason is the caller's to hear.
		res.Error = &CallError{Type: r.Outcome, Message: prompts.UpstreamFailure(prompts.FailureData{
			Tool: r.ToolName, Outcome: r.Outcome, Detail: r.Error})}
	default:
		res.Error = &CallError{Type: r.Outcome, Message: prompts.UpstreamFailure(prompts.FailureData{
			Tool: r.ToolName, Outcome: r.Outcome, StatusCode: r.StatusCode})}
	}
	return res
}

// HTTPStatus is the status the call endpoint answers a result with: 202 for
// a queued or running background run or one awaiting approval, 422 for
// invalid arguments, 429 for a rate-limited call, 503 for a call refused
// because its run could not be recorded, else 200 (a needs_confirmation
// result included: the model must read it).
func (r *Result) HTTPStatus() int {
	switch {
	case r.Status == store.RunStatusQueued || r.Status == store.RunStatusRunning || r.Status == store.RunStatusAwaitingApproval:
		return http.StatusAccepted
	case r.Outcome == OutcomeInvalidArguments:
		return http.StatusUnprocessableEntity
	case r.Outcome == OutcomeRateLimited:
		return http.StatusTooManyRequests
	case r.Outcome == OutcomeRunHistoryUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}

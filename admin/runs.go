package admin

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Runs are the use cases of run records: list, inspect, replay, and test a
// draft.
type Runs struct{ d *deps }

// Run is a run as the admin API shows it, for a person debugging.
type Run struct {
	ID             string          `json:"id"`
	Tool           string          `json:"tool"`
	ToolID         string          `json:"tool_id"`
	ToolVersion    int             `json:"tool_version"`
	AgentID        string          `json:"agent_id,omitempty"`
	ConversationID string          `json:"conversation_id,omitempty"`
	Status         string          `json:"status"`
	Outcome        string          `json:"outcome"`
	StatusCode     int             `json:"status_code,omitempty"`
	Error          string          `json:"error,omitempty"`
	Context        json.RawMessage `json:"context"`
	Arguments      json.RawMessage `json:"arguments"`
	Request        json.RawMessage `json:"request"`
	Response       json.RawMessage `json:"response"`
	Result         json.RawMessage `json:"result"`
	Truncated      bool            `json:"truncated"`
	Timings        json.RawMessage `json:"timings"`
	Attempts       json.RawMessage `json:"attempts"`
	// CacheHit: the result came from the response cache; nothing was sent.
	CacheHit       bool       `json:"cache_hit"`
	DurationMS     float64    `json:"duration_ms"`
	IdempotencyKey string     `json:"idempotency_key,omitempty"`
	ReplayOf       string     `json:"replay_of,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	FinishedAt     *time.Time `json:"finished_at,omitempty"`
	// Approval is the run's approval (who decided and when), on a single
	// run's view of a tool that requires approval.
	Approval *Approval `json:"approval,omitempty"`
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// ViewRun is a stored run as the admin API shows it.
func ViewRun(r *store.Run) Run {
	return Run{
		ID: r.ID, Tool: r.ToolName, ToolID: r.ToolID, ToolVersion: r.ToolVersion, AgentID: r.AgentID,
		ConversationID: r.ConversationID, Status: r.Status, Outcome: r.Outcome, StatusCode: r.StatusCode,
		Error: r.Error, Context: orNull(r.Context), Arguments: orNull(r.Arguments), Request: orNull(r.Request),
		Response: orNull(r.Response), Result: orNull(r.Result), Truncated: r.Truncated, Timings: orNull(r.Timings),
		Attempts: orNull(r.Attempts), CacheHit: r.CacheHit, DurationMS: r.DurationMS, IdempotencyKey: r.IdempotencyKey,
		ReplayOf: r.ReplayOf, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt,
	}
}

// List pages through the workspace's runs, newest first, including this
// replica's runs that were not yet written.
func (s *Runs) List(ctx context.Context, workspaceID string, p store.RunListParams) ([]*store.Run, error) {
	// While the store refuses writes, list what it has: the runs kept for
	// it are still readable one by one.
	if err := s.d.recorder.Flush(ctx); err != nil && !errors.Is(err, tools.ErrRunHistoryUnavailable) {
		return nil, err
	}
	return s.d.store.RunList(ctx, workspaceID, p)
}

// Get returns a run, written or not.
func (s *Runs) Get(ctx context.Context, workspaceID, id string) (*store.Run, error) {
	return s.d.invoker.LoadRun(ctx, workspaceID, id)
}

// Replay runs a run's tool version again (with args, when given) as a new
// run linked to the old.
func (s *Runs) Replay(ctx context.Context, workspaceID, id string, args json.RawMessage) (*tools.Result, error) {
	return s.d.invoker.Replay(ctx, workspaceID, id, args)
}

// Test runs a tool's draft (a dry run only renders it).
func (s *Runs) Test(ctx context.Context, req *invoke.TestRequest) (*tools.Result, error) {
	return s.d.invoker.TestDraft(ctx, req)
}

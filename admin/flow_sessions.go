package admin

import (
	"context"
	"encoding/json"
	"time"

	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/store"
)

// FlowSessionSummary is a flow session in a list.
type FlowSessionSummary struct {
	ID       string
	AgentID  string
	FlowID   string
	FlowName string
	Version  int
	State    string
	Status   string
	Reason   string
	// UserID and Channel come from the session's caller context.
	UserID    string
	Channel   string
	Steps     int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

func viewFlowSession(fs *store.FlowSession) (FlowSessionSummary, error) {
	v := FlowSessionSummary{ID: fs.ID, AgentID: fs.AgentID, FlowID: fs.FlowID, FlowName: fs.FlowName, Version: fs.Version,
		State: fs.State, Status: fs.Status, Reason: fs.Reason, Steps: fs.Steps, CreatedAt: fs.CreatedAt, UpdatedAt: fs.UpdatedAt}
	var callerCtx struct {
		UserID  any `json:"user_id"`
		Channel any `json:"channel"`
	}
	if len(fs.Context) > 0 && json.Unmarshal(fs.Context, &callerCtx) == nil {
		v.UserID, _ = callerCtx.UserID.(string)
		v.Channel, _ = callerCtx.Channel.(string)
	}
	return v, nil
}

// Sessions pages through the workspace's flow sessions, newest first,
// filtered by agent, flow and status (empty fields do not filter).
func (s *Flows) Sessions(ctx context.Context, workspaceID string, p store.FlowSessionListParams) (*Page[FlowSessionSummary], error) {
	list, err := s.d.store.FlowSessionList(ctx, workspaceID, p)
	if err != nil {
		return nil, err
	}
	return pageOf(list, p.ListParams, func(fs *store.FlowSession) string { return fs.ID }, viewFlowSession)
}

// Session returns one of the workspace's flow sessions with its latest
// flows.HistoryListMax history steps.
func (s *Flows) Session(ctx context.Context, workspaceID, id string) (*flows.Session, error) {
	row, err := s.d.store.FlowSessionGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "flow session")
	}
	steps, err := s.d.store.FlowStepList(ctx, workspaceID, id, max(0, row.Steps-flows.HistoryListMax), flows.HistoryListMax)
	if err != nil {
		return nil, err
	}
	return flows.SessionFromRow(row, steps)
}

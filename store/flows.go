package store

import (
	"context"
	"encoding/json"
	"time"
)

// Flow types. Only conversation flows (state machines) run in toolgate.
const (
	FlowTypeConversation = "conversation"
	// FlowTypeMeta names WhatsApp UI flows, which toolgate does not run.
	FlowTypeMeta = "meta"
)

// Flow statuses.
const (
	FlowStatusDraft     = "draft"
	FlowStatusPublished = "published"
)

// Flow session statuses.
const (
	// FlowSessionWaitingInput: the session waits for the user's next
	// message.
	FlowSessionWaitingInput = "waiting_input"
	// FlowSessionEnded: the session reached an end state, or was ended (its
	// flow was deleted).
	FlowSessionEnded = "ended"
	// FlowSessionFailed: a turn could not finish (a loop, a missing state).
	FlowSessionFailed = "failed"
)

// FlowDeletedReason is the Reason of a session ended because its flow was
// deleted.
const FlowDeletedReason = "the flow was deleted"

// Flow is the mutable draft of an agent's conversation flow plus its
// publication state. Names are unique per agent.
type Flow struct {
	ID          string
	WorkspaceID string
	AgentID     string
	Name        string
	// Type is FlowTypeConversation.
	Type string
	// Definition is the draft: the JSON of flows.Definition ({} when empty).
	Definition json.RawMessage
	// Status is FlowStatusDraft until the first publish.
	Status string
	// Version is the latest published version (0 when never published).
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PublishedAt *time.Time
}

// FlowVersion is an immutable published version of a flow.
type FlowVersion struct {
	FlowID      string
	WorkspaceID string
	AgentID     string
	Version     int
	Name        string
	Definition  json.RawMessage
	PublishedAt time.Time
}

// FlowSession is one conversation running a published flow version. Any
// replica can advance it: it lives in the store, and FlowSessionAdvance
// applies one turn at a time.
type FlowSession struct {
	ID          string
	WorkspaceID string
	AgentID     string
	FlowID      string
	FlowName    string
	// Version is the published version the session started on and keeps.
	Version int
	// State is the current state's name.
	State string
	// Status is FlowSessionWaitingInput, FlowSessionEnded or
	// FlowSessionFailed.
	Status string
	// Reason says why a session ended or failed ("" while it runs, and for
	// a session that reached an end state).
	Reason string
	// Variables is the JSON object of the session's variables.
	Variables json.RawMessage
	// Context is the JSON object of the caller context (user_id, channel,
	// conversation_id).
	Context json.RawMessage
	// Steps counts the session's history steps (FlowStepList reads them).
	Steps int64
	// RowVersion increases with every write; FlowSessionUpdate refuses a
	// write based on an older one.
	RowVersion int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// FlowStep is one entry of a session's history: a state entered, a message
// shown, an input received, a run made. Steps are appended, never changed.
type FlowStep struct {
	WorkspaceID string
	SessionID   string
	// Seq numbers the session's steps from 1, in order.
	Seq int64
	// Data is the step's JSON object (flows.Step).
	Data json.RawMessage
}

// FlowSessionListParams filters and pages sessions, newest first. Empty
// fields do not filter. Cursor is the ID of the last session of the
// previous page.
type FlowSessionListParams struct {
	ListParams
	AgentID string
	FlowID  string
	Status  string
}

// FlowStore persists conversation flows, their published versions and their
// sessions. Every Store implements it. Flows belong to an agent: the flow
// methods take the agent's ID, and another agent's (or workspace's) flow is
// ErrNotFound.
type FlowStore interface {
	// FlowInsert inserts f. An agent that is missing or of another
	// workspace is ErrNotFound; a name the agent already uses is
	// ErrConflict.
	FlowInsert(ctx context.Context, f *Flow) error
	FlowGet(ctx context.Context, workspaceID, agentID, id string) (*Flow, error)
	FlowGetByName(ctx context.Context, workspaceID, agentID, name string) (*Flow, error)
	// FlowList returns a page of the agent's flows, ordered by ID.
	FlowList(ctx context.Context, workspaceID, agentID string, p ListParams) ([]*Flow, error)
	// FlowCount counts the agent's flows.
	FlowCount(ctx context.Context, workspaceID, agentID string) (int, error)
	// FlowUpdate replaces the draft (Name, Definition, UpdatedAt) of the
	// flow f.ID of agent f.AgentID.
	FlowUpdate(ctx context.Context, f *Flow) error
	// FlowDelete deletes the flow and its versions, and ends its open
	// sessions (status ended, reason FlowDeletedReason) at at. It returns
	// how many sessions it ended.
	FlowDelete(ctx context.Context, workspaceID, agentID, id string, at time.Time) (int, error)
	// FlowPublish atomically stores the flow's current draft as version
	// latest+1, marks the flow published and returns the new version.
	FlowPublish(ctx context.Context, workspaceID, agentID, id string, at time.Time) (*FlowVersion, error)
	FlowVersionGet(ctx context.Context, workspaceID, flowID string, version int) (*FlowVersion, error)
	// FlowVersionList returns every published version of the flow, oldest
	// first.
	FlowVersionList(ctx context.Context, workspaceID, flowID string) ([]*FlowVersion, error)

	// FlowSessionInsert inserts s with RowVersion 1 and its first steps
	// (setting s.RowVersion and s.Steps). A duplicate ID is ErrConflict.
	FlowSessionInsert(ctx context.Context, s *FlowSession, steps []json.RawMessage) error
	FlowSessionGet(ctx context.Context, workspaceID, id string) (*FlowSession, error)
	FlowSessionList(ctx context.Context, workspaceID string, p FlowSessionListParams) ([]*FlowSession, error)
	// FlowSessionUpdate writes State, Status, Reason, Variables, Context and
	// UpdatedAt of s and appends steps to its history, if the stored row is
	// still at s.RowVersion; it sets s.RowVersion and s.Steps to the stored
	// ones. A row that another write changed since is ErrConflict; a
	// missing one ErrNotFound.
	FlowSessionUpdate(ctx context.Context, s *FlowSession, steps []json.RawMessage) error
	// FlowSessionAdvance runs fn with the session's current row while
	// holding an exclusive lock on the session that every replica sharing
	// the database respects, then writes fn's result (unless nil) and
	// appends its steps as FlowSessionUpdate does, and returns what is
	// stored. Two advances of one session never overlap: the second runs fn
	// on the row the first wrote. fn may make network calls. A write that
	// happened outside the lock meanwhile (FlowDelete ending the session)
	// makes the result ErrConflict. fn must not advance the same session,
	// which would wait for itself.
	FlowSessionAdvance(ctx context.Context, workspaceID, id string, fn func(current *FlowSession) (*FlowSession, []json.RawMessage, error)) (*FlowSession, error)
	// FlowStepList returns up to limit steps of the workspace's session
	// with Seq above afterSeq, in order (limit is clamped to ListLimitMax,
	// and 0 means ListLimitDefault).
	FlowStepList(ctx context.Context, workspaceID, sessionID string, afterSeq int64, limit int) ([]*FlowStep, error)
	// FlowSessionDeleteBefore deletes the sessions of every workspace last
	// updated before t, whatever their status, with their history, and
	// returns how many went (the run retention applies to them).
	FlowSessionDeleteBefore(ctx context.Context, t time.Time) (int, error)
}

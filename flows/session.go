package flows

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/store"
)

// Kinds of history steps.
const (
	// StepEnter: the session entered State.
	StepEnter = "enter"
	// StepMessage: Text was shown to the user.
	StepMessage = "message"
	// StepInput: the user sent Text.
	StepInput = "input"
	// StepCall: an API_CALL ran (or was queued) as run RunID.
	StepCall = "call"
	// StepNote: something the console should show, in Note (an input that
	// did not match, a condition that failed to evaluate, a missing value).
	StepNote = "note"
	// StepEnd: the session ended.
	StepEnd = "end"
	// StepFail: the session failed; Note says why.
	StepFail = "fail"
)

// Step is one entry of a session's history.
type Step struct {
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`
	State string    `json:"state"`
	// Text is the message shown or the input received.
	Text string `json:"text,omitempty"`
	// RunID, Outcome and StatusCode describe an API_CALL.
	RunID      string `json:"run_id,omitempty"`
	Outcome    string `json:"outcome,omitempty"`
	StatusCode int    `json:"status_code,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Turn is the result of starting a session or sending it a message: what
// to show the user, and where the session now is.
type Turn struct {
	SessionID string `json:"session_id"`
	Flow      string `json:"flow"`
	Version   int    `json:"version"`
	State     string `json:"state"`
	// Status is store.FlowSessionWaitingInput, FlowSessionEnded or
	// FlowSessionFailed.
	Status string `json:"status"`
	// Reason says why the session failed or was ended.
	Reason string `json:"reason,omitempty"`
	// Messages are the messages to show, in order.
	Messages  []string       `json:"messages"`
	Variables map[string]any `json:"variables"`
	// Runs are the IDs of the runs this turn made.
	Runs []string `json:"runs"`
}

// Session is a stored session as the API shows it, with its history.
type Session struct {
	SessionID string         `json:"session_id"`
	AgentID   string         `json:"agent_id"`
	FlowID    string         `json:"flow_id"`
	Flow      string         `json:"flow"`
	Version   int            `json:"version"`
	State     string         `json:"state"`
	Status    string         `json:"status"`
	Reason    string         `json:"reason,omitempty"`
	Variables map[string]any `json:"variables"`
	Context   map[string]any `json:"context"`
	// History holds the latest steps (at most HistoryListMax of
	// HistorySteps); store.FlowStepList pages through all of them.
	History      []Step    `json:"history"`
	HistorySteps int64     `json:"history_steps"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// SessionFromRow decodes a stored session and history steps of it.
func SessionFromRow(row *store.FlowSession, steps []*store.FlowStep) (*Session, error) {
	s := &Session{SessionID: row.ID, AgentID: row.AgentID, FlowID: row.FlowID, Flow: row.FlowName,
		Version: row.Version, State: row.State, Status: row.Status, Reason: row.Reason,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt, History: make([]Step, 0, len(steps)), HistorySteps: row.Steps}
	var err error
	if s.Variables, err = decodeObject(row.Variables); err != nil {
		return nil, fmt.Errorf("decoding the variables of session %s: %w", row.ID, err)
	}
	if s.Context, err = decodeObject(row.Context); err != nil {
		return nil, fmt.Errorf("decoding the context of session %s: %w", row.ID, err)
	}
	for _, st := range steps {
		var step Step
		if err := json.Unmarshal(st.Data, &step); err != nil {
			return nil, fmt.Errorf("decoding step %d of session %s: %w", st.Seq, row.ID, err)
		}
		s.History = append(s.History, step)
	}
	return s, nil
}

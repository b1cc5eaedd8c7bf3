package flows

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/toolgate/toolgate/tools"
)

// Identification headers a flow's API_CALL sends besides the gateway's own
// (tools.HeaderUserID, tools.HeaderAgentID, tools.HeaderChannel,
// tools.HeaderRunID and Idempotency-Key).
const (
	HeaderState    = "X-Toolgate-State"
	HeaderFlowName = "X-Toolgate-Flow-Name"
	HeaderUserName = "X-Toolgate-User-Name"
)

// Caller runs a flow's API_CALL actions. The gateway implements it on its
// invoke service, so that every call is an ordinary run: recorded and
// redacted like a tool call, its context carrying the flow's RunInfo.
//
// Call returns an error only when the call could be neither made nor
// recorded (the store is down, ctx ended): the turn then stops and nothing
// of it is saved. Every failure of the call itself (4xx, 5xx, timeout, a
// deleted connection) is an outcome in the result.
type Caller interface {
	Call(ctx context.Context, c *ActionCall) (*ActionResult, error)
}

// ActionCall is one API_CALL to run.
type ActionCall struct {
	WorkspaceID string
	AgentID     string
	// Run says which flow, version, state, session and action the call
	// belongs to. It is also in Context, under "flow", so the run records
	// it.
	Run RunInfo
	// Request is the prepared request of an integration or url action, nil
	// for a tool action. Its templates read {{variables.*}} from Variables
	// (tools.Call.Variables); Request.Def.Connection names its connection
	// ("" for a full URL). Run it with Arguments, Context, Variables and
	// Headers.
	Request *tools.Prepared
	// Tool names the published tool of a tool action (the agent's tool,
	// resolved as for any call of it).
	Tool string
	// Arguments are the call's arguments: a tool action's rendered args,
	// or for a request the auto-injected {"message": {"type": "text",
	// "text": ...}, "variables": {...}} that a POST, PUT or PATCH body
	// carries (Request's body template reads it).
	Arguments json.RawMessage
	// Variables are the session's variables. For a fire-and-forget call
	// they are a copy the Caller may keep; otherwise they are valid until
	// Call returns.
	Variables map[string]any
	// Context is the run's caller context: the session's (user_id,
	// channel, conversation_id — the session ID when none was given) plus
	// "flow": {"id", "name", "version", "state", "session_id"}.
	Context map[string]any
	// Headers are the identification headers to send (X-Toolgate-State,
	// -Flow-Name, -User-Name, and -User-Id, -Agent-Id, -Channel which the
	// engine sets as well): tools.Call.Headers.
	Headers http.Header
	// FireAndForget asks for a durable background run: Call queues it and
	// returns at once with its run ID; its outcome never reaches the flow.
	FireAndForget bool
}

// RunInfo ties a run to the flow session that made it.
type RunInfo struct {
	FlowID    string `json:"id"`
	FlowName  string `json:"name"`
	Version   int    `json:"version"`
	State     string `json:"state"`
	SessionID string `json:"session_id"`
	// Action is the index of the action in its state.
	Action int `json:"action"`
}

// ActionResult is what became of an API_CALL.
type ActionResult struct {
	// RunID is the run's ID (a queued run's, for fire and forget).
	RunID string
	// Outcome is the run's outcome class (tools.OutcomeSuccess...); empty
	// for a queued run.
	Outcome string
	// StatusCode is the upstream's HTTP status, 0 when none came.
	StatusCode int
	// Body is the response as JSON: the parsed body, a JSON string of the
	// text when it is not JSON, null when there was none (tools.Result's
	// Result).
	Body json.RawMessage
}

package apidoc

import (
	"encoding/json"

	"github.com/toolgate/toolgate/admin"
)

// The types below describe bodies the surfaces decode into types of their
// own (unexported in their packages); they exist for the document only and
// carry the same JSON names.

// callRequest is the body of POST /v1/tools/{name}/call.
type callRequest struct {
	Arguments  map[string]any `json:"arguments,omitempty" jsonschema_description:"The tool's arguments, checked against its input_schema."`
	Context    map[string]any `json:"context,omitempty" jsonschema_description:"Caller context the tool's templates read as {{context.x}} (user id, channel...); agent_id is set from the key."`
	Background *bool          `json:"background,omitempty" jsonschema_description:"Runs the call in the background (or not) when the tool allows the override."`
	// CallbackURL receives the result of a background run, signed.
	CallbackURL string `json:"callback_url,omitempty" jsonschema_description:"Receives the result of a background run, signed with the workspace's signing secret."`
}

// testRequest is the body of POST /v1/admin/tools/{id}/test.
type testRequest struct {
	Arguments map[string]any `json:"arguments,omitempty" jsonschema_description:"The draft's arguments."`
	Context   map[string]any `json:"context,omitempty" jsonschema_description:"Caller context for {{context.x}}."`
	DryRun    bool           `json:"dry_run,omitempty" jsonschema_description:"Answers the rendered, redacted request without sending it."`
}

// replayRequest is the optional body of POST /v1/admin/runs/{id}/replay.
type replayRequest struct {
	Arguments map[string]any `json:"arguments,omitempty" jsonschema_description:"Edited arguments; absent: the run's own."`
}

// toolCallsRequest is the body of POST /v1/tool-calls.
type toolCallsRequest struct {
	ToolCalls []map[string]any `json:"tool_calls,omitempty" jsonschema_description:"OpenAI tool_call objects as the model produced them."`
	ToolUses  []map[string]any `json:"tool_uses,omitempty" jsonschema_description:"Anthropic tool_use blocks as the model produced them."`
	Context   map[string]any   `json:"context,omitempty" jsonschema_description:"Caller context for every call."`
}

// toolCallsResponse is the answer of POST /v1/tool-calls: messages for
// OpenAI tool calls, tool_results for Anthropic tool uses.
type toolCallsResponse struct {
	Messages    []toolMessage     `json:"messages,omitempty" jsonschema_description:"One tool message per OpenAI tool call, in order."`
	ToolResults []toolResultBlock `json:"tool_results,omitempty" jsonschema_description:"One tool_result block per Anthropic tool use, in order."`
}

type toolMessage struct {
	Role       string `json:"role"`
	ToolCallID string `json:"tool_call_id"`
	Content    string `json:"content"`
}

type toolResultBlock struct {
	Type      string `json:"type"`
	ToolUseID string `json:"tool_use_id"`
	Content   string `json:"content"`
	IsError   bool   `json:"is_error,omitempty"`
}

// toolListing is the answer of GET /v1/tools.
type toolListing struct {
	Tools []json.RawMessage `json:"tools" jsonschema_description:"The agent's tools in the format's function-calling shape."`
	// Unconverted are the tools the format's schema dialect cannot
	// express, listed in a form it accepts, and why.
	Unconverted []unconvertedTool `json:"unconverted,omitempty" jsonschema_description:"Tools whose input schema the format cannot express, and why; they are listed in a form the format accepts."`
}

type unconvertedTool struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// authorizeURL is the answer of POST /v1/admin/connections/{id}/oauth/authorize.
type authorizeURL struct {
	AuthorizeURL string `json:"authorize_url" jsonschema_description:"Where the admin signs in to the provider; it comes back to /v1/oauth/callback."`
}

// health is the answer of GET /healthz.
type health struct {
	Status string `json:"status"`
}

// flowList is the answer of GET /v1/admin/agents/{id}/flows.
type flowList struct {
	Items      []admin.Flow `json:"items" jsonschema_description:"The agent's flows, without their definitions."`
	Total      int          `json:"total" jsonschema_description:"How many flows the agent has."`
	NextCursor string       `json:"next_cursor" jsonschema_description:"Where the next page starts (cursor=...); empty on the last page."`
}

// flowStartRequest is the body of POST /v1/flows/{flow_name}/sessions.
type flowStartRequest struct {
	Context   map[string]any `json:"context" jsonschema_description:"The caller context: user_id (required), channel, conversation_id (defaults to the session's ID)."`
	Variables map[string]any `json:"variables,omitempty" jsonschema_description:"The session's first variables."`
	Message   string         `json:"message,omitempty" jsonschema_description:"The user's message that started the conversation, if any."`
}

// flowMessageRequest is the body of POST /v1/flows/sessions/{session_id}/messages.
type flowMessageRequest struct {
	Text string `json:"text" jsonschema_description:"The user's message."`
}

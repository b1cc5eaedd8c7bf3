package voice

// Vapi: POST /v1/adapters/vapi/{agent_id} is the "server URL" of the
// agent's Vapi function tools. Vapi sends a "tool-calls" server message
// and expects HTTP 200 with {"results": [{"name", "toolCallId", "result"}]}
// (or "error" in place of "result"), each value a single-line string, and
// an optional spoken "message" (@vapi-ai/server-sdk's ToolCallResult).
// Sources: https://docs.vapi.ai/tools/custom-tools (request and response
// format), https://docs.vapi.ai/tools/custom-tools-troubleshooting (200,
// strings, single line), the ServerMessageToolCalls and
// ServerMessageResponseToolCalls schemas of https://api.vapi.ai/api-json.
//
// Authentication: Vapi sends the server secret in X-Vapi-Secret (the
// server's legacy "secret" field, or a Bearer Token credential with header
// X-Vapi-Secret and no prefix), or as "Authorization: Bearer <token>" (a
// Bearer Token credential with the default header). Either is compared in
// constant time with the agent's vapi.secret.
// Source: https://docs.vapi.ai/server-url/server-authentication.

import (
	"encoding/json"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// vapiMaxCalls bounds the tool calls of one message.
const vapiMaxCalls = 64

type vapi struct{}

func (vapi) Name() string       { return "vapi" }
func (vapi) Settings() []string { return []string{"secret"} }

func (vapi) Authenticate(req *Request, settings Settings) (bool, string) {
	presented := req.Header.Get("X-Vapi-Secret")
	if presented == "" {
		presented = bearerToken(req.Header.Get("Authorization"))
	}
	return secretMatches(presented, settings.Get("vapi", "secret")), ""
}

// vapiEnvelope is a Vapi server message; only what the adapter reads is
// declared (Vapi adds fields freely, so unknown ones are ignored).
type vapiEnvelope struct {
	Message struct {
		Type                 string         `json:"type"`
		ToolCallList         []vapiToolCall `json:"toolCallList"`
		ToolWithToolCallList []struct {
			Name     string       `json:"name"`
			ToolCall vapiToolCall `json:"toolCall"`
		} `json:"toolWithToolCallList"`
		Call *struct {
			ID       string        `json:"id"`
			Customer *vapiCustomer `json:"customer"`
		} `json:"call"`
		Customer *vapiCustomer `json:"customer"`
	} `json:"message"`
}

type vapiCustomer struct {
	Number string `json:"number"`
}

// vapiToolCall is one requested call, in the flat form the docs show
// ({"id", "name", "arguments"}) or the OpenAI form Vapi also sends
// ({"id", "type": "function", "function": {"name", "arguments"}}).
type vapiToolCall struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Function  *struct {
		Name       string          `json:"name"`
		Arguments  json.RawMessage `json:"arguments"`
		Parameters json.RawMessage `json:"parameters"`
	} `json:"function"`
}

func (tc *vapiToolCall) name() string {
	if tc.Name == "" && tc.Function != nil {
		return tc.Function.Name
	}
	return tc.Name
}

func (tc *vapiToolCall) arguments() json.RawMessage {
	if len(tc.Arguments) == 0 && tc.Function != nil {
		if len(tc.Function.Arguments) > 0 {
			return toolArguments(tc.Function.Arguments)
		}
		return toolArguments(tc.Function.Parameters)
	}
	return toolArguments(tc.Arguments)
}

// toolCalls returns the message's calls: toolCallList, or the calls of
// toolWithToolCallList when the list is absent.
func (e *vapiEnvelope) toolCalls() []vapiToolCall {
	if len(e.Message.ToolCallList) > 0 {
		return e.Message.ToolCallList
	}
	calls := make([]vapiToolCall, 0, len(e.Message.ToolWithToolCallList))
	for _, t := range e.Message.ToolWithToolCallList {
		tc := t.ToolCall
		if tc.name() == "" {
			tc.Name = t.Name
		}
		calls = append(calls, tc)
	}
	return calls
}

func (vapi) Decode(req *Request) (*Batch, error) {
	var env vapiEnvelope
	if err := json.Unmarshal(req.Body, &env); err != nil {
		return nil, problem.FromJSON(err)
	}
	if env.Message.Type != "tool-calls" {
		// Another server message sent to this URL (status updates and
		// the like): acknowledged, nothing to run.
		return &Batch{Reply: jsonResponse([]byte("{}"))}, nil
	}
	calls := env.toolCalls()
	if len(calls) > vapiMaxCalls {
		return nil, &problem.Error{Kind: problem.BadRequest, Message: "too many tool calls in one message",
			Details: map[string]int{"max": vapiMaxCalls}}
	}
	b := &Batch{Calls: make([]Call, len(calls))}
	if call := env.Message.Call; call != nil {
		b.Conversation = call.ID
		if call.Customer != nil {
			b.User = call.Customer.Number
		}
	}
	if b.User == "" && env.Message.Customer != nil {
		b.User = env.Message.Customer.Number
	}
	for i := range calls {
		b.Calls[i] = Call{ID: calls[i].ID, Tool: calls[i].name(), Arguments: calls[i].arguments()}
	}
	return b, nil
}

// vapiResult answers one tool call, as @vapi-ai/server-sdk's
// ToolCallResult: the tool's name, and Result or Error, a single-line
// string added to the conversation. Message, when set, overrides what the
// assistant says next.
type vapiResult struct {
	Name       string             `json:"name"`
	ToolCallID string             `json:"toolCallId"`
	Result     *string            `json:"result,omitempty"`
	Error      *string            `json:"error,omitempty"`
	Message    *vapiSpokenMessage `json:"message,omitempty"`
}

// vapiSpokenMessage is a ToolCallResultSpokenMessage. With role "system"
// its content is not read out but handed to the model as a hint, and the
// model's answer is spoken.
type vapiSpokenMessage struct {
	Type    string `json:"type"`
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Encode answers each call with its result, or its error for a failure.
// Invalid arguments are a result (the model should ask the caller, not
// speak the tool's failure message). A background run's acknowledgement is
// also a request-complete message for the model: it replaces the tool's own
// request-complete message in Vapi, which would otherwise be spoken as if
// the work were done.
func (vapi) Encode(b *Batch, replies []Reply) (*Response, error) {
	results := make([]vapiResult, len(replies))
	for i, r := range replies {
		results[i] = vapiResult{Name: b.Calls[i].Tool, ToolCallID: b.Calls[i].ID}
		switch r.Kind {
		case ReplyError:
			results[i].Error = &replies[i].Text
		case ReplyAccepted:
			results[i].Result = &replies[i].Text
			results[i].Message = &vapiSpokenMessage{Type: "request-complete", Role: "system", Content: r.Text}
		default:
			results[i].Result = &replies[i].Text
		}
	}
	body, err := json.Marshal(map[string]any{"results": results})
	if err != nil {
		return nil, err
	}
	return jsonResponse(body), nil
}

// Export is a body for POST https://api.vapi.ai/tool: a function tool whose
// server is the adapter, its parameters in Vapi's JsonSchema subset
// (schema.Vapi). Set the server's credential (X-Vapi-Secret) in Vapi; see
// docs/voice.md.
func (vapi) Export(t *tools.Prepared, serverURL string) (any, []*schema.NotConvertibleError) {
	params, note, lost := schema.Vapi(t.InputSchema())
	return map[string]any{
		"type": "function",
		"function": map[string]any{
			"name":        t.Name,
			"description": schema.AppendNote(t.Def.Description, note),
			"parameters":  params,
		},
		"server": map[string]any{
			"url":            serverURL,
			"timeoutSeconds": timeoutSeconds(t, 1, 300),
		},
	}, lost
}

func (vapi) ToolInPath() bool { return false }

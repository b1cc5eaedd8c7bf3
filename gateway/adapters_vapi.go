package gateway

// Vapi: POST /v1/adapters/vapi/{agent_id} is the "server URL" of the
// agent's Vapi function tools. Vapi sends a "tool-calls" server message
// and expects HTTP 200 with {"results": [{"toolCallId", "result"}]} (or
// "error" in place of "result"), each value a single-line string.
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
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
)

// vapiMaxConcurrent bounds how many of one message's tool calls run at
// once.
const vapiMaxConcurrent = 8

// vapiMaxCalls bounds the tool calls of one message.
const vapiMaxCalls = 64

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

// vapiResult answers one tool call: Result or Error, a single-line string.
type vapiResult struct {
	ToolCallID string  `json:"toolCallId"`
	Result     *string `json:"result,omitempty"`
	Error      *string `json:"error,omitempty"`
}

func (s *Server) vapiAdapter(c *gin.Context) error {
	ctx := c.Request.Context()
	agent, settings, err := s.adapterAgent(ctx, c.Param("agent_id"))
	if err != nil {
		return err
	}
	presented := c.GetHeader("X-Vapi-Secret")
	if presented == "" {
		presented = bearerToken(c.GetHeader("Authorization"))
	}
	if !secretMatches(presented, settings.get(platformVapi, "secret")) || agent == nil {
		return errAdapterUnauthorized
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var env vapiEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return jsonError(err)
	}
	if env.Message.Type != "tool-calls" {
		// Another server message sent to this URL (status updates and
		// the like): acknowledged, nothing to run.
		c.JSON(http.StatusOK, gin.H{})
		return nil
	}
	calls := env.toolCalls()
	if len(calls) > vapiMaxCalls {
		return badRequest("too many tool calls in one message", map[string]int{"max": vapiMaxCalls})
	}
	var callID, caller string
	if call := env.Message.Call; call != nil {
		callID = call.ID
		if call.Customer != nil {
			caller = call.Customer.Number
		}
	}
	if caller == "" && env.Message.Customer != nil {
		caller = env.Message.Customer.Number
	}
	p := adapterPrincipal(agent)
	results := make([]vapiResult, len(calls))
	run := func(i int) {
		tc := &calls[i]
		a := s.voiceCall(ctx, p, tc.name(), tc.arguments(), voiceContext(platformVapi, caller, callID))
		results[i] = vapiResult{ToolCallID: tc.ID}
		if a.Kind == answerError {
			results[i].Error = &a.Text
		} else {
			results[i].Result = &a.Text
		}
	}
	if len(calls) == 1 {
		run(0)
	} else {
		sem := make(chan struct{}, vapiMaxConcurrent)
		var wg sync.WaitGroup
		for i := range calls {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				run(i)
			})
		}
		wg.Wait()
	}
	c.JSON(http.StatusOK, gin.H{"results": results})
	return nil
}

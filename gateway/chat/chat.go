// Package chat is the built-in agent runner behind /v1/chat/completions: an
// OpenAI-compatible endpoint that runs the tool loop for the agent of the
// key, with the agent's own model, instructions and tools; every tool call
// goes through package invoke.
package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/listing"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/redact"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Runner is the chat completions endpoint.
type Runner struct {
	Invoker *invoke.Invoker
	// Client is the guarded outbound client the model API is reached
	// through.
	Client *egress.Client
	Errors httpapi.Errors
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// Routes registers POST /chat/completions on a group that requires an
// agent key.
func (r *Runner) Routes(g *gin.RouterGroup) {
	g.POST("/chat/completions", r.Errors.Handle(r.chatCompletions))
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Settings of the chat runner.
const (
	// MaxStepsDefault bounds the model requests of one chat completion
	// when the agent's model settings name no max_steps.
	MaxStepsDefault = 8
	// MaxStepsMax is the largest max_steps an agent may set.
	MaxStepsMax = 32
	// ModelBaseURLDefault is the model API used when neither the agent's
	// model settings nor their connection name a base URL.
	ModelBaseURLDefault = "https://api.openai.com/v1"
	// modelStepTimeout bounds each request to the model API.
	modelStepTimeout = 2 * time.Minute
	// HeaderConversationID carries a chat's conversation id, in and out.
	HeaderConversationID = "X-Toolgate-Conversation-Id"
	// ErrTypeModel is the error type of a failed request to the model API.
	ErrTypeModel = "model_error"
	// maxToolCallsPerStep bounds the tool calls run for one model answer.
	maxToolCallsPerStep = invoke.MaxBatchCalls
)

// modelSettings are an agent's settings for the chat runner (the agent's
// "model" JSON).
type modelSettings struct {
	// BaseURL is the model API's OpenAI-compatible base URL. Defaults to
	// the connection's base URL, then ModelBaseURLDefault.
	BaseURL string `json:"base_url"`
	// Name is the model, e.g. gpt-4o-mini. Required.
	Name string `json:"name"`
	// Connection names the connection whose api_key (or token) secret is
	// the model API's key. Optional, for APIs that need no key.
	Connection string `json:"connection"`
	// MaxSteps bounds the model requests per completion. Defaults to
	// MaxStepsDefault.
	MaxSteps int `json:"max_steps"`
}

// chatCompletions runs the tool loop for OpenAI-compatible clients: the
// agent's instructions and tool-use policy are prepended to the request's
// messages, the agent's tools attached, and the model (the agent's, whatever
// the request's model field says) asked until it answers without tool
// calls or max_steps is reached; each tool call goes through invoke with the
// turn's conversation id. The answer is a chat completion, or with
// stream: true the same answer as chat.completion.chunk events.
func (r *Runner) chatCompletions(c *gin.Context) error {
	body, err := httpapi.ReadBody(c)
	if err != nil {
		return err
	}
	// Read leniently: OpenAI clients send fields this server has no use
	// for, and new ones appear often.
	var req openai.ChatCompletionRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return problem.FromJSON(err)
	}
	switch {
	case len(req.Messages) == 0:
		return problem.BadRequestf("messages", "messages is required and must not be empty")
	case len(req.Tools) > 0 || len(req.Functions) > 0:
		return problem.BadRequestf("tools", "tools are the agent's own: this endpoint attaches and runs them; send no tools or functions")
	case req.N > 1:
		return problem.BadRequestf("n", "n must be 1")
	}
	conversationID, err := conversationIDOf(c, req.User)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	p := httpapi.Who(c)
	agent, err := r.Invoker.Agent(ctx, p.WorkspaceID, p.AgentID)
	if err != nil {
		return err
	}
	settings, model, err := r.modelClient(ctx, p.WorkspaceID, agent)
	if err != nil {
		return err
	}
	list, err := r.Invoker.AgentTools(ctx, p.WorkspaceID, p.AgentID)
	if err != nil {
		return err
	}

	policy := prompts.ToolPolicyData{Instructions: agent.Instructions}
	offered := make([]openai.Tool, 0, len(list))
	for _, t := range list {
		policy.Tools = append(policy.Tools, prompts.PolicyTool{Name: t.Name, Description: t.Def.Description})
		offered = append(offered, listing.OpenAITool(t))
	}
	messages := append([]openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleSystem, Content: prompts.ToolPolicy(policy)}}, req.Messages...)
	callerCtx := map[string]any{"conversation_id": conversationID}

	var usage openai.Usage
	var final openai.ChatCompletionChoice
	for step := 1; ; step++ {
		last := step >= settings.MaxSteps
		creq := openai.ChatCompletionRequest{
			Model: settings.Name, Messages: messages, Tools: offered,
			Temperature: req.Temperature, TopP: req.TopP, MaxTokens: req.MaxTokens,
			MaxCompletionTokens: req.MaxCompletionTokens, Stop: req.Stop, Seed: req.Seed,
			PresencePenalty: req.PresencePenalty, FrequencyPenalty: req.FrequencyPenalty, User: req.User,
		}
		if last && len(offered) > 0 {
			creq.ToolChoice = "none" // the last step must answer
		}
		resp, err := model.ask(ctx, creq)
		if err != nil {
			return err
		}
		usage.PromptTokens += resp.Usage.PromptTokens
		usage.CompletionTokens += resp.Usage.CompletionTokens
		usage.TotalTokens += resp.Usage.TotalTokens
		choice := resp.Choices[0]
		if len(choice.Message.ToolCalls) == 0 {
			final = choice
			break
		}
		if last {
			// Out of steps with calls still wanted: answer with what the
			// model said, marked as cut short.
			choice.Message.ToolCalls = nil
			choice.FinishReason = openai.FinishReasonLength
			final = choice
			break
		}
		if len(choice.Message.ToolCalls) > maxToolCallsPerStep {
			// As in a batch: a model (or text injected into a tool result)
			// cannot fan one step out into unbounded upstream calls.
			choice.Message.ToolCalls = choice.Message.ToolCalls[:maxToolCallsPerStep]
		}
		messages = append(messages, choice.Message)
		calls := make([]invoke.BatchCall, len(choice.Message.ToolCalls))
		for i, tc := range choice.Message.ToolCalls {
			calls[i] = invoke.BatchCall{Tool: tc.Function.Name, Arguments: json.RawMessage(tc.Function.Arguments), ID: tc.ID}
		}
		answers, err := r.Invoker.CallBatch(ctx, p.WorkspaceID, p.AgentID, calls, callerCtx)
		if err != nil {
			return err
		}
		for i, a := range answers {
			messages = append(messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool,
				ToolCallID: choice.Message.ToolCalls[i].ID, Content: a.Text})
		}
	}

	final.Index = 0
	final.Message.Role = openai.ChatMessageRoleAssistant
	if final.FinishReason == "" {
		final.FinishReason = openai.FinishReasonStop
	}
	out := openai.ChatCompletionResponse{
		ID: "chatcmpl-" + store.NewID(), Object: "chat.completion", Created: r.now().Unix(),
		Model: settings.Name, Choices: []openai.ChatCompletionChoice{final}, Usage: usage,
	}
	c.Header(HeaderConversationID, conversationID)
	if req.Stream {
		includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		writeCompletionStream(c, &out, includeUsage)
		return nil
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// conversationIDOf takes the turn's conversation id from the
// X-Toolgate-Conversation-Id header, else the request's user field, else
// makes one.
func conversationIDOf(c *gin.Context, user string) (string, error) {
	id := c.GetHeader(HeaderConversationID)
	if id == "" {
		id = user
	}
	if id == "" {
		return store.NewID(), nil
	}
	if len(id) > 255 || strings.ContainsAny(id, "\r\n\x00") {
		return "", problem.BadRequestf("", "the conversation id (X-Toolgate-Conversation-Id or user) must be at most 255 characters on one line")
	}
	return id, nil
}

// modelClient reads the agent's model settings and builds a go-openai
// client on the guarded egress client, with the connection's api_key or
// token as the model API's key.
func (r *Runner) modelClient(ctx context.Context, workspaceID string, agent *store.Agent) (modelSettings, *modelAPI, error) {
	var ms modelSettings
	if len(agent.Model) > 0 {
		if err := json.Unmarshal(agent.Model, &ms); err != nil {
			return ms, nil, agentNotRunnable("its model settings are not valid: " + err.Error())
		}
	}
	if ms.Name == "" {
		return ms, nil, agentNotRunnable(`it has no model: set "model": {"name": ..., "base_url": ..., "connection": ...} on the agent`)
	}
	if ms.MaxSteps == 0 {
		ms.MaxSteps = MaxStepsDefault
	}
	if ms.MaxSteps < 1 || ms.MaxSteps > MaxStepsMax {
		return ms, nil, agentNotRunnable(fmt.Sprintf("model.max_steps must be between 1 and %d", MaxStepsMax))
	}
	var apiKey, base string
	redactor := redact.New()
	if ms.Connection != "" {
		conn, err := r.Invoker.Connection(ctx, workspaceID, ms.Connection)
		if errors.Is(err, store.ErrNotFound) {
			return ms, nil, agentNotRunnable("its model connection " + ms.Connection + " does not exist")
		}
		if err != nil {
			return ms, nil, err
		}
		apiKey = conn.Secrets[tools.SecretAPIKey]
		if apiKey == "" {
			apiKey = conn.Secrets[tools.SecretToken]
		}
		if apiKey == "" {
			return ms, nil, agentNotRunnable("its model connection " + ms.Connection + " has no api_key or token secret")
		}
		base = conn.BaseURL
		redactor = conn.Redactor()
	}
	if ms.BaseURL != "" {
		base = ms.BaseURL
	}
	if base == "" {
		base = ModelBaseURLDefault
	}
	if !tools.IsHTTPURL(base) {
		return ms, nil, agentNotRunnable("model.base_url must be an absolute http or https URL")
	}
	cfg := openai.DefaultConfig(apiKey)
	cfg.BaseURL = strings.TrimSuffix(base, "/")
	hc := r.Client.HTTPClient()
	hc.Transport = cappedTransport{hc.Transport}
	cfg.HTTPClient = hc
	return ms, &modelAPI{client: openai.NewClientWithConfig(cfg), redactor: redactor}, nil
}

// modelAPI is an agent's model API client and the scrubber of its
// connection's secrets (a model API may echo its key in an error).
type modelAPI struct {
	client   *openai.Client
	redactor *redact.Redactor
}

// maxModelResponseBytes bounds a model API response read by the runner.
const maxModelResponseBytes = 8 << 20

// cappedTransport cuts model API responses at maxModelResponseBytes, so a
// hostile or broken model endpoint cannot exhaust the gateway's memory.
type cappedTransport struct{ next http.RoundTripper }

func (t cappedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = cappedBody{Reader: io.LimitReader(resp.Body, maxModelResponseBytes), Closer: resp.Body}
	return resp, nil
}

type cappedBody struct {
	io.Reader
	io.Closer
}

// agentNotRunnable is the error of an agent whose model settings an admin
// must fix.
func agentNotRunnable(why string) *problem.Error {
	return &problem.Error{Kind: problem.Conflict, Message: "this agent cannot run chat completions: " + why}
}

// ask makes one request to the model API. Its failures are 502s that say
// what the model API answered, with the connection's secrets scrubbed from
// both the answer and the logged detail.
func (m *modelAPI) ask(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, modelStepTimeout)
	defer cancel()
	resp, err := m.client.CreateChatCompletion(ctx, req)
	if err == nil && len(resp.Choices) == 0 {
		err = errors.New("the answer has no choices")
	}
	if err == nil {
		return resp, nil
	}
	msg := "the model API failed: " + err.Error()
	var apiErr *openai.APIError
	switch {
	case errors.As(err, &apiErr):
		msg = fmt.Sprintf("the model API answered %d: %s", apiErr.HTTPStatusCode, apiErr.Message)
	case errors.Is(err, egress.ErrBlocked):
		msg = "the model API's address is blocked by the gateway's egress policy (TOOLGATE_ALLOW_NETWORKS)"
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("the model API did not answer within %s", modelStepTimeout)
	}
	return resp, &problem.Error{Kind: problem.BadGateway, Type: ErrTypeModel, Message: m.redactor.String(msg),
		Err: errors.New(m.redactor.String(err.Error()))}
}

// streamChunkRunes is how much of the answer one stream chunk carries.
const streamChunkRunes = 64

// writeCompletionStream sends a finished completion as server-sent
// chat.completion.chunk events, ending with data: [DONE].
func writeCompletionStream(c *gin.Context, resp *openai.ChatCompletionResponse, includeUsage bool) {
	w := c.Writer
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	choice := resp.Choices[0]
	chunk := func(delta openai.ChatCompletionStreamChoiceDelta, finish openai.FinishReason) openai.ChatCompletionStreamResponse {
		return openai.ChatCompletionStreamResponse{ID: resp.ID, Object: "chat.completion.chunk", Created: resp.Created, Model: resp.Model,
			Choices: []openai.ChatCompletionStreamChoice{{Index: 0, Delta: delta, FinishReason: finish}}}
	}
	send := func(v any) {
		data, _ := json.Marshal(v)
		_, _ = w.Write([]byte("data: "))
		_, _ = w.Write(data)
		_, _ = w.Write([]byte("\n\n"))
	}
	send(chunk(openai.ChatCompletionStreamChoiceDelta{Role: openai.ChatMessageRoleAssistant}, ""))
	for rest := choice.Message.Content; rest != ""; {
		n := 0
		for i := 0; i < streamChunkRunes && n < len(rest); i++ {
			_, size := utf8.DecodeRuneInString(rest[n:])
			n += size
		}
		send(chunk(openai.ChatCompletionStreamChoiceDelta{Content: rest[:n]}, ""))
		rest = rest[n:]
	}
	send(chunk(openai.ChatCompletionStreamChoiceDelta{}, choice.FinishReason))
	if includeUsage {
		usage := resp.Usage
		send(openai.ChatCompletionStreamResponse{ID: resp.ID, Object: "chat.completion.chunk", Created: resp.Created, Model: resp.Model,
			Choices: []openai.ChatCompletionStreamChoice{}, Usage: &usage})
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
	w.Flush()
}

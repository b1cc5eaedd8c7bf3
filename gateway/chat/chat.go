// Package chat is the built-in agent runner behind /v1/chat/completions: an
// OpenAI-compatible endpoint that runs the tool loop for the agent of the
// key, with the agent's own model, instructions and tools; every tool call
// goes through package invoke.
package chat

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/listing"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
)

// Runner is the chat completions endpoint.
type Runner struct {
	Invoker *invoke.Invoker
	// Listings converts and caches the agent's tools in the shape offered
	// to the model.
	Listings *listing.Cache
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

// chatCompletions runs the tool loop for OpenAI-compatible clients: the
// agent's instructions and tool-use policy are prepended to the request's
// messages, the agent's tools attached (strict where their schema
// converts), and the model (the agent's, whatever the request's model field
// says) asked until it answers without tool calls or max_steps is reached;
// each tool call goes through invoke with the turn's conversation id. The
// client's other parameters are passed to every model request (see
// PassedParams); any the runner cannot pass is refused, never dropped.
//
// The answer's text is what the model said over the turn: each step's text,
// separated by a blank line. It is a chat completion, or with stream: true
// chat.completion.chunk events sent while the model streams them.
func (r *Runner) chatCompletions(c *gin.Context) error {
	body, err := httpapi.ReadBody(c)
	if err != nil {
		return err
	}
	req, err := parseRequest(body)
	if err != nil {
		return err
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
	offered, err := r.Listings.ChatTools(list)
	if err != nil {
		return err
	}
	policy := prompts.ToolPolicyData{Instructions: agent.Instructions}
	for _, t := range list {
		policy.Tools = append(policy.Tools, prompts.PolicyTool{Name: t.Name, Description: t.Def.Description})
	}

	t := &turn{
		runner: r, model: model, settings: settings, req: req, tools: offered,
		workspaceID: p.WorkspaceID, agentID: p.AgentID,
		messages:  append([]openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleSystem, Content: prompts.ToolPolicy(policy)}}, req.Messages...),
		callerCtx: map[string]any{"conversation_id": conversationID},
	}
	id, created := "chatcmpl-"+store.NewID(), r.now().Unix()
	c.Header(HeaderConversationID, conversationID)
	if req.Stream {
		w := &sseWriter{c: c, id: id, created: created, model: settings.Name, includeUsage: req.includeUsage, errors: r.Errors}
		t.stream = w
		if err := t.run(ctx); err != nil {
			if ctx.Err() != nil || errors.Is(err, errClientGone) {
				// The client left: nobody to answer, nothing to log.
				return nil
			}
			return w.fail(err)
		}
		if err := w.finish(t.finish, t.usage); err != nil {
			r.Errors.Log.DebugContext(ctx, "chat completion stream cut short", slog.Any("err", err))
		}
		return nil
	}
	if err := t.run(ctx); err != nil {
		return err
	}
	c.JSON(http.StatusOK, completion{
		ID: id, Object: "chat.completion", Created: created, Model: settings.Name,
		Choices: []completionChoice{{Message: newAnswerMessage(t.content.String(), t.refusal.String()),
			Logprobs: t.logprobs, FinishReason: t.finish}},
		Usage: t.usage, ServiceTier: t.serviceTier, SystemFingerprint: t.fingerprint,
	})
	return nil
}

// turn is one chat completion's tool loop.
type turn struct {
	runner                   *Runner
	model                    *modelAPI
	settings                 modelSettings
	req                      *chatRequest
	tools                    []openai.Tool
	workspaceID, agentID     string
	messages                 []openai.ChatCompletionMessage
	callerCtx                map[string]any
	stream                   *sseWriter // nil unless the client streams
	content, refusal         strings.Builder
	finish                   string
	usage                    usage
	logprobs                 *logprobs
	fingerprint, serviceTier string
}

// run asks the model until it answers without tool calls, running the
// calls of each answer in between.
func (t *turn) run(ctx context.Context) error {
	for n := 1; ; n++ {
		last := n >= t.settings.MaxSteps
		s, err := t.ask(ctx, t.req.stepRequest(t.settings.Name, t.messages, t.tools, last))
		if err != nil {
			return err
		}
		t.usage.add(s.usage)
		if s.content != "" {
			if t.content.Len() > 0 {
				t.content.WriteString(stepSeparator)
			}
			t.content.WriteString(s.content)
		}
		t.refusal.WriteString(s.refusal)
		t.logprobs, t.fingerprint, t.serviceTier = s.logprobs, s.fingerprint, s.serviceTier
		t.finish = string(s.finish)
		if len(s.toolCalls) == 0 {
			if t.finish == "" || t.finish == string(openai.FinishReasonToolCalls) {
				t.finish = string(openai.FinishReasonStop)
			}
			return nil
		}
		if last {
			// Out of steps with calls still wanted: the answer is what
			// the model said, marked as cut short.
			t.finish = string(openai.FinishReasonLength)
			return nil
		}
		if err := t.runCalls(ctx, s); err != nil {
			return err
		}
	}
}

// ask makes one model request, streamed when the client streams.
func (t *turn) ask(ctx context.Context, req openai.ChatCompletionRequest) (*step, error) {
	if t.stream == nil {
		return t.model.ask(ctx, req)
	}
	if t.req.includeUsage {
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	t.stream.newStep()
	return t.model.askStream(ctx, req, t.stream.text)
}

// runCalls runs the tool calls of a model's answer and adds the answer and
// the results to the conversation.
func (t *turn) runCalls(ctx context.Context, s *step) error {
	calls := s.toolCalls
	if len(calls) > maxToolCallsPerStep {
		// As in a batch: a model (or text injected into a tool result)
		// cannot fan one step out into unbounded upstream calls.
		calls = calls[:maxToolCallsPerStep]
	}
	t.messages = append(t.messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant,
		Content: s.content, Refusal: s.refusal, ToolCalls: calls})
	batch := make([]invoke.BatchCall, len(calls))
	for i, tc := range calls {
		batch[i] = invoke.BatchCall{Tool: tc.Function.Name, Arguments: json.RawMessage(tc.Function.Arguments), ID: tc.ID}
	}
	answers, err := t.runner.Invoker.CallBatch(ctx, t.workspaceID, t.agentID, batch, t.callerCtx)
	if err != nil {
		return err
	}
	for i, a := range answers {
		t.messages = append(t.messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool,
			ToolCallID: calls[i].ID, Content: a.Text})
	}
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

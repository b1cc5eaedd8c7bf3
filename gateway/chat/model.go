package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/redact"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
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

// step is one answer of the model, assembled.
type step struct {
	content, refusal string
	toolCalls        []openai.ToolCall
	finish           openai.FinishReason
	logprobs         *logprobs
	usage            *openai.Usage
	fingerprint      string
	serviceTier      string
}

// ask makes one request to the model API and waits for the whole answer.
func (m *modelAPI) ask(ctx context.Context, req openai.ChatCompletionRequest) (*step, error) {
	ctx, cancel := context.WithTimeout(ctx, modelStepTimeout)
	defer cancel()
	resp, err := m.client.CreateChatCompletion(ctx, req)
	if err == nil && len(resp.Choices) == 0 {
		err = errors.New("the answer has no choices")
	}
	if err != nil {
		return nil, m.failure(req.Model, err)
	}
	choice := resp.Choices[0]
	return &step{content: choice.Message.Content, refusal: choice.Message.Refusal, toolCalls: choice.Message.ToolCalls,
		finish: choice.FinishReason, logprobs: logprobsOf(choice.LogProbs), usage: &resp.Usage,
		fingerprint: resp.SystemFingerprint, serviceTier: string(resp.ServiceTier)}, nil
}

// delta is a piece of the answer as the model streams it.
type delta struct {
	content, refusal string
	logprobs         *logprobs
	fingerprint      string
}

// askStream makes one streamed request to the model API, hands each piece
// of text to forward as it arrives, and assembles the answer, its tool
// calls included.
func (m *modelAPI) askStream(ctx context.Context, req openai.ChatCompletionRequest, forward func(delta) error) (*step, error) {
	ctx, cancel := context.WithTimeout(ctx, modelStepTimeout)
	defer cancel()
	stream, err := m.client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return nil, m.failure(req.Model, err)
	}
	defer stream.Close()
	s := &step{}
	calls := toolCallAssembler{}
	for {
		c, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, m.failure(req.Model, err)
		}
		if c.Usage != nil {
			s.usage = c.Usage
		}
		if c.SystemFingerprint != "" {
			s.fingerprint = c.SystemFingerprint
		}
		for _, choice := range c.Choices {
			if choice.Index != 0 {
				continue
			}
			d := delta{content: choice.Delta.Content, refusal: choice.Delta.Refusal,
				logprobs: streamLogprobsOf(choice.Logprobs), fingerprint: s.fingerprint}
			s.content += d.content
			s.refusal += d.refusal
			s.logprobs = appendLogprobs(s.logprobs, d.logprobs)
			if d.content != "" || d.refusal != "" || d.logprobs != nil {
				if err := forward(d); err != nil {
					return nil, err
				}
			}
			calls.add(choice.Delta.ToolCalls)
			if choice.FinishReason != "" {
				s.finish = choice.FinishReason
			}
		}
	}
	s.toolCalls = calls.list
	return s, nil
}

// toolCallAssembler puts together the tool calls of a streamed answer:
// the first delta of a call has its index, id and name, the next ones
// pieces of its arguments. Servers that leave out the index start a new
// call with each id.
type toolCallAssembler struct {
	list  []openai.ToolCall
	index map[int]int // a delta's index → position in list
}

func (a *toolCallAssembler) add(deltas []openai.ToolCall) {
	for _, d := range deltas {
		pos := -1
		switch {
		case d.Index != nil:
			if p, ok := a.index[*d.Index]; ok {
				pos = p
			}
		case d.ID == "" && len(a.list) > 0:
			pos = len(a.list) - 1
		}
		if pos < 0 {
			if len(a.list) > maxToolCallsPerStep {
				continue // already more than a step runs
			}
			a.list = append(a.list, openai.ToolCall{Type: openai.ToolTypeFunction})
			pos = len(a.list) - 1
			if d.Index != nil {
				if a.index == nil {
					a.index = map[int]int{}
				}
				a.index[*d.Index] = pos
			}
		}
		tc := &a.list[pos]
		if d.ID != "" {
			tc.ID = d.ID
		}
		if d.Type != "" {
			tc.Type = d.Type
		}
		tc.Function.Name += d.Function.Name
		tc.Function.Arguments += d.Function.Arguments
	}
}

// failure is the error of a failed model request: a 502 that says what
// the model API answered, with the connection's secrets scrubbed from both
// the answer and the logged detail; parameters go-openai refuses for the
// agent's model before sending are the client's 400.
func (m *modelAPI) failure(model string, err error) error {
	for _, refused := range []error{openai.ErrReasoningModelMaxTokensDeprecated, openai.ErrReasoningModelLimitationsLogprobs,
		openai.ErrReasoningModelLimitationsOther, openai.ErrReasoningEffortUnsupported, openai.ErrReasoningSamplingUnsupported} {
		if errors.Is(err, refused) {
			return problem.BadRequestf("", "the agent's model %s does not take these parameters: %v", model, err)
		}
	}
	if errors.Is(err, openai.ErrReasoningToolsRequireResponses) {
		return agentNotRunnable(fmt.Sprintf("its model %s with this reasoning effort takes tools only through the Responses API", model))
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
	return &problem.Error{Kind: problem.BadGateway, Type: ErrTypeModel, Message: m.redactor.String(msg),
		Err: errors.New(m.redactor.String(err.Error()))}
}

package voice

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// ErrUnauthorized is the one answer to every failed adapter authentication:
// it does not say whether the agent exists.
var ErrUnauthorized = &problem.Error{Kind: problem.Unauthorized,
	Message: "missing or invalid platform credential for this agent"}

// maxAgentIDBytes bounds the agent ID of an adapter URL before any lookup.
const maxAgentIDBytes = 64

// maxConcurrentCalls bounds how many of one request's calls run at once.
const maxConcurrentCalls = 8

// ReplayGuard remembers signed requests, so that each is accepted once by
// every replica (store.GuardStore implements it).
type ReplayGuard interface {
	// ReplayFirst reports whether key is seen for the first time at now (or
	// its earlier record expired); it is remembered until until.
	ReplayFirst(ctx context.Context, key string, now, until time.Time) (bool, error)
}

// Config holds the parts of a Service.
type Config struct {
	Store   store.Store
	Box     *secrets.Box
	Invoker *invoke.Invoker
	Catalog *tools.Catalog
	// Guard remembers signed requests. Defaults to Store.
	Guard  ReplayGuard
	Logger *slog.Logger
}

// Service answers voice platforms' webhooks and exports agents' tools.
type Service struct {
	store   store.Store
	box     *secrets.Box
	invoker *invoke.Invoker
	catalog *tools.Catalog
	guard   ReplayGuard
	log     *slog.Logger
}

// NewService returns a Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Box == nil || cfg.Invoker == nil || cfg.Catalog == nil {
		return nil, errors.New("voice: Config.Store, Box, Invoker and Catalog are required")
	}
	s := &Service{store: cfg.Store, box: cfg.Box, invoker: cfg.Invoker, catalog: cfg.Catalog, guard: cfg.Guard,
		log: cmp.Or(cfg.Logger, slog.Default())}
	if s.guard == nil {
		s.guard = cfg.Store
	}
	return s, nil
}

// Handle answers one webhook request of a platform for an agent. An
// unknown platform is NotFound; an unknown agent, an agent without the
// platform's settings and a wrong or missing credential are the same
// ErrUnauthorized, and nothing runs.
func (s *Service) Handle(ctx context.Context, platform, agentID string, req *Request) (*Response, error) {
	p := Lookup(platform)
	if p == nil || p.ToolInPath() != (req.Tool != "") {
		return nil, problem.NotFoundf("route")
	}
	agent, settings, err := s.agent(ctx, agentID)
	if err != nil {
		return nil, err
	}
	ok, replayKey := p.Authenticate(req, settings)
	if !ok || agent == nil {
		return nil, ErrUnauthorized
	}
	if replayKey != "" {
		first, err := s.guard.ReplayFirst(ctx, p.Name()+"/"+agent.ID+"/"+replayKey, req.Now, req.Now.Add(replayWindow))
		if err != nil {
			return nil, err
		}
		if !first {
			return nil, ErrUnauthorized
		}
	}
	batch, err := p.Decode(req)
	if err != nil {
		return nil, err
	}
	if batch.Reply != nil {
		return batch.Reply, nil
	}
	callerCtx := func() map[string]any {
		c := map[string]any{"channel": "voice", "platform": p.Name()}
		if batch.User != "" {
			c["user_id"] = batch.User
		}
		if batch.Conversation != "" {
			c["conversation_id"] = batch.Conversation
		}
		return c
	}
	replies := make([]Reply, len(batch.Calls))
	run := func(i int) {
		c := batch.Calls[i]
		replies[i] = s.call(ctx, agent, c.Tool, c.Arguments, callerCtx())
	}
	if len(batch.Calls) == 1 {
		run(0)
	} else {
		sem := make(chan struct{}, maxConcurrentCalls)
		var wg sync.WaitGroup
		for i := range batch.Calls {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				run(i)
			})
		}
		wg.Wait()
	}
	return p.Encode(batch, replies)
}

// agent looks up the agent of an adapter URL and opens its settings. An
// unknown agent is (nil, empty settings, nil): the credential is still
// compared, against nothing.
func (s *Service) agent(ctx context.Context, agentID string) (*store.Agent, Settings, error) {
	if agentID == "" || len(agentID) > maxAgentIDBytes {
		return nil, Settings{}, nil
	}
	agent, err := s.store.AgentGetUnscoped(ctx, agentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, Settings{}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	settings, err := OpenSettings(s.box, agent)
	if err != nil {
		return nil, nil, err
	}
	return agent, settings, nil
}

// ReplyKind classifies a Reply.
type ReplyKind int

// Kinds of Reply.
const (
	// ReplyResult: the call succeeded; Result holds the shaped result.
	ReplyResult ReplyKind = iota
	// ReplyInstruction: the model should act on Text and call again or
	// ask the caller (invalid arguments).
	ReplyInstruction
	// ReplyAccepted: a background run was accepted; Text is the
	// acknowledgement the model should tell the caller.
	ReplyAccepted
	// ReplyError: the call failed; Text says what to tell the caller.
	ReplyError
)

// Reply is one call's outcome as a voice platform hands it to its model.
type Reply struct {
	Kind ReplyKind
	// Result is the shaped result of a successful call.
	Result json.RawMessage
	// Text is what the model reads, on one line.
	Text string
}

// call runs one tool call through the invoker and turns every outcome into
// something a voice assistant can say or act on.
func (s *Service) call(ctx context.Context, agent *store.Agent, tool string, args json.RawMessage, callerCtx map[string]any) (reply Reply) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(ctx, "panic in voice adapter call", slog.String("tool", tool), slog.Any("panic", v))
			reply = Reply{Kind: ReplyError, Text: prompts.ToolUnavailable(tool)}
		}
	}()
	res, err := s.invoker.Call(ctx, &invoke.Request{WorkspaceID: agent.WorkspaceID, AgentID: agent.ID, Tool: tool,
		Arguments: args, Context: callerCtx})
	if err != nil {
		if pe, ok := problem.As(err); !ok || pe.Kind == problem.Internal {
			s.log.ErrorContext(ctx, "voice adapter call failed", slog.String("tool", tool),
				slog.String("agent_id", agent.ID), slog.Any("err", err))
		}
		return Reply{Kind: ReplyError, Text: prompts.ToolUnavailable(tool)}
	}
	a := invoke.AnswerOf(res)
	switch a.Kind {
	case invoke.AnswerQueued:
		return Reply{Kind: ReplyAccepted, Text: prompts.SingleLine(a.Text)}
	case invoke.AnswerInvalid, invoke.AnswerConfirm:
		return Reply{Kind: ReplyInstruction, Text: prompts.SingleLine(a.Text)}
	case invoke.AnswerFailed:
		return Reply{Kind: ReplyError, Text: prompts.SingleLine(a.Text)}
	}
	return Reply{Kind: ReplyResult, Result: a.Result, Text: resultText(a.Result)}
}

// resultText is a shaped result as one line of text: a JSON string's
// content, or any other JSON value compacted (JSON escapes line breaks
// inside strings, so compact JSON is one line).
func resultText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return prompts.SingleLine(s)
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return prompts.SingleLine(string(raw))
	}
	return buf.String()
}

// bodyReply answers Retell and ElevenLabs, whose whole response body is
// what their model reads: the shaped result itself on success,
// {"result": text} for an instruction (invalid arguments, background
// acknowledgement), {"error": text} for a failure. Always HTTP 200: both
// platforms hide or replace non-2xx answers, and the model must read them.
func bodyReply(r Reply) (*Response, error) {
	var body []byte
	switch r.Kind {
	case ReplyResult:
		body = bytes.TrimSpace(r.Result)
		if len(body) == 0 {
			body = []byte("null")
		}
	case ReplyInstruction, ReplyAccepted:
		body = mustJSON(map[string]string{"result": r.Text})
	default:
		body = mustJSON(map[string]string{"error": r.Text})
	}
	return jsonResponse(body), nil
}

// jsonResponse is a 200 with a JSON body.
func jsonResponse(body []byte) *Response {
	return &Response{Status: http.StatusOK, ContentType: "application/json; charset=utf-8", Body: body}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("null")
	}
	return b
}

// toolArguments normalises arguments as platforms send them: an object, an
// absent value, or (OpenAI style) a string holding the JSON object.
func toolArguments(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			inner := bytes.TrimSpace([]byte(s))
			if len(inner) == 0 {
				return nil
			}
			if json.Valid(inner) {
				return inner
			}
		}
	}
	return raw
}

// isObjectOrEmpty reports whether raw is absent, null or a JSON object.
func isObjectOrEmpty(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null" || raw[0] == '{'
}

// AgentURL is the adapter URL of an agent on a platform, under the
// gateway's public base URL.
func AgentURL(base, platform, agentID string) string {
	return base + "/v1/adapters/" + platform + "/" + url.PathEscape(agentID)
}

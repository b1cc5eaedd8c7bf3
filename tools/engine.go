package tools

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"golang.org/x/net/http/httpguts"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/redact"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/store"
)

// TokenSource supplies OAuth2 access tokens for connections whose auth type
// is oauth2_*. rejected is empty, or the token the upstream just refused
// (401): the source then returns a different one, refreshing only if no
// other caller already replaced it.
type TokenSource interface {
	Token(ctx context.Context, workspaceID string, conn *Connection, rejected string) (string, error)
}

// ErrNeedsReauth is returned by a TokenSource when an admin must authorize
// the connection again.
var ErrNeedsReauth = errors.New("connection needs to be re-authorized by an admin")

// EngineConfig holds an Engine's parts.
type EngineConfig struct {
	// Client is the guarded outbound HTTP client. Required.
	Client *egress.Client
	// Recorder stores runs. Required.
	Recorder *Recorder
	// Tokens supplies OAuth2 tokens. Optional: without it, OAuth2
	// connections fail with auth_error.
	Tokens TokenSource
	// Metrics, if set, observes calls.
	Metrics *Metrics
	Logger  *slog.Logger
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// RunBodyMax bounds the bytes of each request and response body a run
	// record keeps; the record notes a longer body's size and SHA-256.
	// Defaults to RunBodyMaxDefault.
	RunBodyMax int
}

// RunBodyMaxDefault is the default of EngineConfig.RunBodyMax: 64 KiB.
const RunBodyMaxDefault = 64 << 10

// Engine runs tool calls: validate, render, inject credentials, send through
// the guard, classify, shape, record.
type Engine struct {
	client   *egress.Client
	recorder *Recorder
	tokens   TokenSource
	metrics  *Metrics
	log      *slog.Logger
	now      func() time.Time
	// runBodyMax is EngineConfig.RunBodyMax.
	runBodyMax int
}

// NewEngine returns an Engine.
func NewEngine(cfg EngineConfig) *Engine {
	e := &Engine{client: cfg.Client, recorder: cfg.Recorder, tokens: cfg.Tokens, metrics: cfg.Metrics,
		log: cmp.Or(cfg.Logger, slog.Default()), now: cfg.Now, runBodyMax: cmp.Or(cfg.RunBodyMax, RunBodyMaxDefault)}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// Recorder returns the engine's run recorder.
func (e *Engine) Recorder() *Recorder { return e.recorder }

// Client returns the engine's guarded outbound client, for other outbound
// requests made on an agent's behalf (the chat runner's model API).
func (e *Engine) Client() *egress.Client { return e.client }

// Call is one request to run a tool. The engine runs it in one of four
// ways: Run (send and record), Execute (send, hand back the record), Check
// (validate and render only: the synchronous half of a background call) and
// DryRun (render and show the request, send nothing).
type Call struct {
	WorkspaceID string
	AgentID     string
	Tool        *Prepared
	// Conn is the tool's connection, nil for a tool with a URL.
	Conn *Connection
	// Arguments is the JSON object the model sent (empty means {}).
	Arguments json.RawMessage
	// Context is the caller context: user_id, channel, conversation_id...
	Context map[string]any
	// Variables are a conversation flow's variables, the values of
	// {{variables.*}} in a tool prepared with RootVariables allowed.
	Variables map[string]any
	// Headers are identification headers sent besides the gateway's own
	// (a conversation flow's X-Toolgate-State, -Flow-Name, -User-Name). A
	// value with a control character is not sent.
	Headers http.Header
	// RunID is preassigned for background runs; empty means a new one.
	RunID          string
	IdempotencyKey string
	ReplayOf       string
	// Attempt numbers background attempts (0 or 1 for the first).
	Attempt int
	// PriorAttempts are the earlier attempts of a background run, kept in
	// its record.
	PriorAttempts []Attempt
	// CreatedAt is when a background run was submitted; zero means now.
	CreatedAt time.Time
}

// mode is how the engine runs a call.
type mode int

const (
	// modeSend sends the request.
	modeSend mode = iota
	// modeCheck validates and renders without sending or fetching
	// credentials.
	modeCheck
	// modeDryRun renders and returns the redacted request without sending.
	modeDryRun
)

// CallError is the model-readable error of a failed call.
type CallError struct {
	Type    string         `json:"type"`
	Message string         `json:"message"`
	Details []schema.Issue `json:"details,omitzero"`
	Missing []string       `json:"missing,omitzero"`
	Hint    string         `json:"hint,omitempty"`
}

// Result is what a call returns to the agent.
type Result struct {
	RunID      string          `json:"run_id"`
	Tool       string          `json:"tool"`
	Version    int             `json:"version"`
	Status     string          `json:"status,omitempty"`
	Outcome    string          `json:"outcome"`
	OK         bool            `json:"ok"`
	StatusCode int             `json:"status_code,omitempty"`
	Result     json.RawMessage `json:"result"`
	Truncated  bool            `json:"truncated"`
	DurationMS float64         `json:"duration_ms"`
	Error      *CallError      `json:"error,omitempty"`
	// Attempts are a background run's tries so far (read back from a run).
	Attempts []Attempt `json:"attempts,omitempty"`
	// Request is the rendered, redacted request of a dry run.
	Request *RecordedRequest `json:"request,omitempty"`
	// RetryAfter is the upstream's Retry-After, for background retries.
	RetryAfter time.Duration `json:"-"`

	// Guardrails (see guardrails.go). CacheHit: the result came from the
	// response cache and nothing was sent. RetryAfterMS: when a
	// rate_limited call may try again. Confirmation: what a
	// needs_confirmation call asks the caller. Message: what the model
	// tells the caller of a call that waits (confirmation, approval).
	CacheHit     bool          `json:"cache_hit,omitempty"`
	RetryAfterMS int64         `json:"retry_after_ms,omitempty"`
	Confirmation *Confirmation `json:"confirmation,omitempty"`
	Message      string        `json:"message,omitempty"`
}

// RecordedRequest is the request as stored in a run (redacted). A run
// keeps the first EngineConfig.RunBodyMax bytes of its body (see
// RecordedBody).
type RecordedRequest struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body,omitempty"`
	RecordedBody
}

// RecordedResponse is the response as stored in a run (redacted).
// Truncated says the body was longer than the gateway reads (the egress
// cap); a run keeps the first EngineConfig.RunBodyMax bytes of what was
// read (see RecordedBody).
type RecordedResponse struct {
	StatusCode int                 `json:"status_code"`
	Headers    map[string][]string `json:"headers"`
	Body       string              `json:"body"`
	Truncated  bool                `json:"truncated"`
	RecordedBody
}

// RecordedBody describes a body a run keeps only the start of: BodyCut is
// set, BodyBytes is the size of the whole body (redacted, as recorded) and
// BodySHA256 its SHA-256, in hex.
type RecordedBody struct {
	BodyCut    bool   `json:"body_cut,omitempty"`
	BodyBytes  int    `json:"body_bytes,omitempty"`
	BodySHA256 string `json:"body_sha256,omitempty"`
}

// Timings of a run's upstream exchange, in milliseconds.
type Timings struct {
	DNSMS     float64 `json:"dns_ms"`
	ConnectMS float64 `json:"connect_ms"`
	TLSMS     float64 `json:"tls_ms"`
	TTFBMS    float64 `json:"ttfb_ms"`
	TotalMS   float64 `json:"total_ms"`
}

// Attempt is one try of a run.
type Attempt struct {
	Attempt    int       `json:"attempt"`
	Outcome    string    `json:"outcome"`
	StatusCode int       `json:"status_code,omitempty"`
	DurationMS float64   `json:"duration_ms"`
	StartedAt  time.Time `json:"started_at"`
	Error      string    `json:"error,omitempty"`
}

// Identification headers sent upstream with every call.
const (
	HeaderRunID          = "X-Toolgate-Run-Id"
	HeaderAgentID        = "X-Toolgate-Agent-Id"
	HeaderTool           = "X-Toolgate-Tool"
	HeaderUserID         = "X-Toolgate-User-Id"
	HeaderChannel        = "X-Toolgate-Channel"
	HeaderIdempotencyKey = "Idempotency-Key"
)

// callState carries one call through its steps.
type callState struct {
	call     *Call
	mode     mode
	runID    string
	start    time.Time
	redactor *redact.Redactor
	// oauthToken is the access token sent, so a 401 names the token it
	// refused.
	oauthToken string
	args       any
	req        *RenderedRequest
	resp       *egress.Response
	// body is the response body, redacted.
	body    []byte
	result  Result
	errText string
}

// Admit reports whether a call may start: ErrRunHistoryUnavailable while
// its run could not be recorded (see Recorder.Admit). Callers check it
// before a call, so that a refused call is a request error (503) that
// reaches nothing upstream.
func (e *Engine) Admit() error { return e.recorder.Admit() }

// Run executes a call and records it. It never returns a Go error: every
// failure is an outcome in the result. A call Admit would refuse is not
// started: its outcome is OutcomeRunHistoryUnavailable, nothing is sent and
// no run is recorded.
func (e *Engine) Run(ctx context.Context, c *Call) *Result {
	if e.recorder.Admit() != nil {
		return unavailableResult(c)
	}
	res, run := e.Execute(ctx, c)
	e.record(ctx, run)
	return res
}

// Execute runs a call and returns its result and its redacted run record,
// without recording it (background jobs write the record in their own
// transaction).
func (e *Engine) Execute(ctx context.Context, c *Call) (*Result, *store.Run) {
	st := e.begin(c, modeSend)
	e.run(ctx, st)
	return e.finish(st)
}

// Check validates a call's arguments and renders its request without
// sending it or fetching credentials: the synchronous half of a background
// call. A call that passes comes back with status queued and the record of
// the queued run (holding the arguments and context as submitted, which
// the attempts run from); one that fails comes back finished, with its
// redacted record. Neither is recorded.
func (e *Engine) Check(ctx context.Context, c *Call) (*Result, *store.Run) {
	st := e.begin(c, modeCheck)
	e.run(ctx, st)
	if st.result.Outcome != "" {
		return e.finish(st)
	}
	return e.queued(st)
}

// DryRun renders a call's request and returns it, redacted, in the result
// without sending it or recording a run.
func (e *Engine) DryRun(ctx context.Context, c *Call) *Result {
	st := e.begin(c, modeDryRun)
	e.run(ctx, st)
	st.result.DurationMS = msSince(e.now(), st.start)
	st.result.OK = st.result.Outcome == OutcomeSuccess
	return &st.result
}

// Refuse ends a call that cannot start (its connection does not exist, its
// tool version is gone) with outcome and the detail an admin reads, and
// returns the result and its record without recording it. Nothing is sent.
func (e *Engine) Refuse(c *Call, outcome, detail string) (*Result, *store.Run) {
	st := e.begin(c, modeSend)
	e.fail(st, outcome, detail)
	return e.finish(st)
}

// begin starts the state of a call.
func (e *Engine) begin(c *Call, m mode) *callState {
	start := e.now()
	st := &callState{call: c, mode: m, runID: cmp.Or(c.RunID, store.NewIDAt(cmp.Or(c.CreatedAt, start))), start: start}
	st.redactor = redact.New()
	if c.Conn != nil {
		st.redactor = c.Conn.redactor
	}
	if len(c.Tool.literalSecrets) > 0 {
		st.redactor = st.redactor.With(c.Tool.literalSecrets...)
	}
	st.result = Result{RunID: st.runID, Tool: c.Tool.Name, Version: c.Tool.Version}
	return st
}

// finish completes a finished call's result and builds its run record.
func (e *Engine) finish(st *callState) (*Result, *store.Run) {
	st.result.DurationMS = msSince(e.now(), st.start)
	st.result.OK = st.result.Outcome == OutcomeSuccess
	st.result.Status = store.RunStatusFailed
	if st.result.OK {
		st.result.Status = store.RunStatusSucceeded
	}
	e.observe(st)
	return &st.result, e.buildRun(st)
}

func (e *Engine) run(ctx context.Context, st *callState) {
	c := st.call
	steps := traceSteps(ctx, st, SpanValidate)
	defer steps.end()
	// 1. Validate the arguments against the compiled schema.
	rawArgs := c.Arguments
	if len(bytes.TrimSpace(rawArgs)) == 0 {
		rawArgs = json.RawMessage("{}")
	}
	// Exact numbers; a null a strict-mode model sent for an optional
	// property it left out counts as absent.
	args, err := jsonschema.UnmarshalJSON(bytes.NewReader(rawArgs))
	if err != nil {
		e.invalid(st, nil, []schema.Issue{{Path: "", Message: "are not valid JSON (" + err.Error() + "); send one JSON object"}})
		return
	}
	args = c.Tool.Schema.StripOptionalNulls(args)
	if vr := c.Tool.Schema.Validate(args); !vr.OK() {
		e.invalid(st, vr.Missing, vr.Issues)
		return
	}
	st.args = args
	argMap, _ := args.(map[string]any)

	// 2. Render the request.
	steps.next(SpanRender)
	scope := &Scope{Args: argMap, Context: c.Context, Variables: c.Variables}
	base := ""
	if c.Conn != nil {
		scope.Conn, scope.Secret, base = c.Conn.Config, c.Conn.Secrets, c.Conn.BaseURL
	}
	req, err := c.Tool.Request.Render(base, scope)
	if err != nil {
		var re *RenderError
		switch {
		case !errors.As(err, &re):
		case re.Kind == KindInvalidArguments:
			e.invalid(st, nil, []schema.Issue{{Path: strings.TrimPrefix(re.Placeholder, "args."), Message: re.Reason}})
			return
		case re.Kind == KindContext:
			e.invalidContext(st, re)
			return
		case re.Kind == KindMissingSecret:
			e.fail(st, OutcomeAuthError, "the connection's secret "+strings.TrimPrefix(re.Placeholder, RootSecret+".")+" is not set")
			return
		}
		e.fail(st, OutcomeConfigError, err.Error())
		return
	}
	st.req = req

	// 3. Headers: connection, then tool (already in req), auth, identification.
	if c.Conn != nil {
		if err := e.connectionHeaders(st, scope); err != nil {
			e.fail(st, OutcomeConfigError, err.Error())
			return
		}
	}
	e.identify(st)
	steps.end()
	switch st.mode {
	case modeCheck:
		return
	case modeDryRun:
		if c.Conn != nil && c.Conn.Auth.IsOAuth2() {
			req.Header.Set("Authorization", "Bearer "+redact.Placeholder)
		} else if outcome, msg, modelMsg := e.authorize(ctx, st, false); outcome != "" {
			e.failFor(st, outcome, modelMsg, msg)
			return
		}
		st.result.Outcome = "dry_run"
		st.result.Request = e.recordedRequest(st, true)
		return
	}
	if outcome, msg, modelMsg := e.authorize(ctx, st, false); outcome != "" {
		e.failFor(st, outcome, modelMsg, msg)
		return
	}

	// 4. Send through the guard, within the tool's timeout.
	e.send(ctx, st)
	if st.resp != nil && st.resp.StatusCode == http.StatusUnauthorized && c.Conn != nil && c.Conn.Auth.IsOAuth2() {
		// One refresh and one retry.
		if outcome, msg, modelMsg := e.authorize(ctx, st, true); outcome != "" {
			e.failFor(st, outcome, modelMsg, msg)
			return
		}
		e.send(ctx, st)
		if st.resp != nil && st.resp.StatusCode == http.StatusUnauthorized {
			e.fail(st, OutcomeAuthError, "the upstream refused the connection's refreshed credentials (401)")
			st.result.StatusCode = http.StatusUnauthorized
			return
		}
	}
	if st.resp == nil {
		return // send set the outcome
	}

	// 5. Classify and shape.
	st.result.StatusCode = st.resp.StatusCode
	st.result.Outcome = outcomeForStatus(st.resp.StatusCode)
	shaped, truncated := e.shapeResult(st)
	st.result.Result = shaped
	st.result.Truncated = truncated || st.resp.Truncated
	if st.result.Outcome != OutcomeSuccess {
		st.result.Error = &CallError{Type: st.result.Outcome, Message: prompts.UpstreamFailure(prompts.FailureData{
			Tool: c.Tool.Name, Outcome: st.result.Outcome, StatusCode: st.resp.StatusCode})}
		st.result.RetryAfter = retryAfter(st.resp.Header.Get("Retry-After"), e.now())
	}
}

// shapeResult shapes the response body into the model's result. Secrets
// are redacted from what the result shows rather than from the whole body
// (a large body is cut to a small result): only when the text the result
// shows part of holds a secret is the whole body redacted and shaped again.
func (e *Engine) shapeResult(st *callState) (json.RawMessage, bool) {
	resp, cfg, maxBytes := st.resp, st.call.Tool.Def.Response, st.call.Tool.Def.EffectiveMaxBytes()
	r := st.redactor
	shaped, truncated, shown := shape(resp.Body, cfg, maxBytes, r.MaxFormLen())
	if !r.Matches(shown) {
		return shaped, truncated
	}
	st.body = r.Bytes(resp.Body)
	shaped, truncated, _ = shape(st.body, cfg, maxBytes, 0)
	return shaped, truncated
}

// MaxDuration bounds how long the engine may work on c once it starts
// sending: each token request and each exchange is bounded by the tool's
// timeout, and an OAuth2 connection answering 401 gets one fresh token and
// one retry (token, send, token, send).
func (c *Call) MaxDuration() time.Duration {
	timeout := time.Duration(c.Tool.Def.EffectiveTimeoutMS()) * time.Millisecond
	if c.Conn != nil && c.Conn.Auth.IsOAuth2() {
		return 4 * timeout
	}
	return timeout
}

// send performs the HTTP exchange; on a transport failure it sets the
// outcome and leaves st.resp nil.
func (e *Engine) send(ctx context.Context, st *callState) {
	c := st.call
	timeout := time.Duration(c.Tool.Def.EffectiveTimeoutMS()) * time.Millisecond
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body *bytes.Reader
	if st.req.Body != nil {
		body = bytes.NewReader(st.req.Body)
	}
	var hreq *http.Request
	var err error
	if body != nil {
		hreq, err = http.NewRequestWithContext(ctx, st.req.Method, st.req.URL, body)
	} else {
		hreq, err = http.NewRequestWithContext(ctx, st.req.Method, st.req.URL, nil)
	}
	if err != nil {
		e.fail(st, OutcomeConfigError, "building the request: "+err.Error())
		return
	}
	hreq.Header = st.req.Header
	if st.req.Body != nil && st.req.ContentType != "" {
		hreq.Header.Set("Content-Type", st.req.ContentType)
	}
	opts := egress.Options{SensitiveHeaders: c.Tool.secretHeaders, SensitiveBody: c.Tool.secretBody}
	if c.Conn != nil {
		opts.SensitiveHeaders = c.Conn.sensitiveHeaders(c.Tool.secretHeaders)
	}
	resp, err := e.do(ctx, hreq, opts)
	if err != nil {
		st.resp = nil
		outcome := egress.Classify(err)
		msg := st.redactor.String(err.Error())
		if outcome == OutcomeTimeout {
			msg = fmt.Sprintf("no complete answer within %s", timeout)
		}
		e.fail(st, outcome, msg)
		return
	}
	st.resp = resp
}

// connectionHeaders renders the connection's headers under the tool's.
func (e *Engine) connectionHeaders(st *callState, scope *Scope) error {
	for _, h := range st.call.Conn.headers {
		if st.req.Header.Get(h.name) != "" {
			continue // the tool's header wins
		}
		v, err := h.tmpl.Execute(scope)
		if err != nil {
			return fmt.Errorf("connection header %s: %w", h.name, err)
		}
		st.req.Header.Set(h.name, v)
	}
	return nil
}

// identify adds the identification headers.
func (e *Engine) identify(st *callState) {
	c, h := st.call, st.req.Header
	for name, values := range c.Headers {
		if len(values) > 0 && validHeaderValue(values[0]) {
			h.Set(name, values[0])
		}
	}
	// The identifying headers share one backing array (Header.Set makes a
	// slice per header); their names are canonical.
	values := make([]string, 0, 6)
	set := func(name, v string) {
		values = append(values, v)
		h[name] = values[len(values)-1 : len(values) : len(values)]
	}
	set(HeaderRunID, st.runID)
	set(HeaderTool, c.Tool.Name)
	set(HeaderIdempotencyKey, st.runID)
	if c.AgentID != "" {
		set(HeaderAgentID, c.AgentID)
	}
	if v, ok := c.Context["user_id"].(string); ok && v != "" && validHeaderValue(v) {
		set(HeaderUserID, v)
	}
	if v, ok := c.Context["channel"].(string); ok && v != "" && validHeaderValue(v) {
		set(HeaderChannel, v)
	}
}

// validHeaderValue reports whether v can be sent as a header value.
func validHeaderValue(v string) bool { return httpguts.ValidHeaderFieldValue(v) }

// authorize injects the connection's credential. When the credential is
// missing or unusable it returns the outcome and the messages for admins
// (the run record) and for the model.
func (e *Engine) authorize(ctx context.Context, st *callState, forceRefresh bool) (outcome, detail, modelDetail string) {
	conn := st.call.Conn
	if conn == nil {
		return "", "", ""
	}
	h := st.req.Header
	secret := func(name string) (string, bool) {
		v, ok := conn.Secrets[name]
		return v, ok && v != ""
	}
	switch conn.Auth.Type {
	case "", AuthNone:
	case AuthBearer:
		tok, ok := secret(SecretToken)
		if !ok {
			return refusal(OutcomeAuthError, "connection "+conn.Name+" has no token set")
		}
		h.Set("Authorization", "Bearer "+tok)
	case AuthAPIKey:
		key, ok := secret(SecretAPIKey)
		if !ok {
			return refusal(OutcomeAuthError, "connection "+conn.Name+" has no api_key set")
		}
		if conn.Auth.In == "query" {
			st.req.URL = addQuery(st.req.URL, conn.Auth.Name, key)
		} else {
			h.Set(conn.Auth.Name, key)
		}
	case AuthBasic:
		pw, ok := secret(SecretPassword)
		if !ok {
			return refusal(OutcomeAuthError, "connection "+conn.Name+" has no password set")
		}
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(conn.Auth.Username, pw)
		h.Set("Authorization", r.Header.Get("Authorization"))
	case AuthOAuth2ClientCredentials, AuthOAuth2AuthorizationCode:
		if e.tokens == nil {
			return refusal(OutcomeAuthError, "connection "+conn.Name+" uses OAuth2, which this gateway is not configured for")
		}
		// Token endpoint retries stay within the tool's timeout.
		tctx, cancel := context.WithTimeout(ctx, time.Duration(st.call.Tool.Def.EffectiveTimeoutMS())*time.Millisecond)
		rejected := ""
		if forceRefresh {
			rejected = st.oauthToken
		}
		tok, err := e.token(tctx, st.call.WorkspaceID, conn, rejected)
		cancel()
		if err != nil {
			switch {
			case errors.Is(err, ErrNeedsReauth):
				return refusal(OutcomeAuthError, "connection "+conn.Name+" needs to be re-authorized by an admin")
			case errors.Is(err, egress.ErrBlocked):
				// Where the token endpoint resolved is not the model's business.
				return refusal(OutcomeAuthError, "the token endpoint of connection "+conn.Name+" was refused by the egress guard")
			}
			detail := tokenFailure + conn.Name + ": " + st.redactor.String(err.Error())
			if isTransportError(err) {
				// Where the token endpoint failed to answer (addresses,
				// resolvers) is for admins: the run record keeps it.
				return OutcomeAuthError, detail, tokenFailure + conn.Name
			}
			return refusal(OutcomeAuthError, detail)
		}
		st.oauthToken = tok
		st.redactor = st.redactor.With(tok)
		h.Set("Authorization", "Bearer "+tok)
	default:
		return refusal(OutcomeConfigError, "connection "+conn.Name+" has unknown auth type "+conn.Auth.Type)
	}
	return "", "", ""
}

// invalid ends the call with invalid_arguments and the model-readable error.
func (e *Engine) invalid(st *callState, missing []string, issues []schema.Issue) {
	pi := make([]prompts.Issue, 0, len(issues))
	for _, is := range issues {
		pi = append(pi, prompts.Issue{Path: is.Path, Message: is.Message})
	}
	msg, hint := prompts.InvalidArguments(prompts.InvalidArgumentsData{Tool: st.call.Tool.Name, Missing: missing, Issues: pi})
	st.result.Outcome = OutcomeInvalidArguments
	st.result.Error = &CallError{Type: OutcomeInvalidArguments, Message: msg, Details: issues, Missing: missing, Hint: hint}
	if st.result.Error.Details == nil {
		st.result.Error.Details = []schema.Issue{}
	}
	if st.result.Error.Missing == nil {
		st.result.Error.Missing = []string{}
	}
	st.result.Result = json.RawMessage("null")
	st.errText = msg
}

// invalidContext ends the call with invalid_arguments for a context value
// the request needs: the message is for the platform that sends the
// context, the hint tells the model not to retry or ask the caller.
func (e *Engine) invalidContext(st *callState, re *RenderError) {
	msg, hint := prompts.ContextProblem(prompts.ContextProblemData{Tool: st.call.Tool.Name, Name: re.Placeholder, Problem: re.Reason})
	st.result.Outcome = OutcomeInvalidArguments
	st.result.Error = &CallError{Type: OutcomeInvalidArguments, Message: msg,
		Details: []schema.Issue{{Path: re.Placeholder, Message: re.Reason}}, Missing: []string{}, Hint: hint}
	st.result.Result = json.RawMessage("null")
	st.errText = msg
}

// fail ends the call with a failure outcome other than invalid_arguments.
// The model is not told where a blocked or unreachable destination resolved
// nor what a transport error said (either would disclose internal
// addresses): it reads a plain sentence, and the run record keeps the
// detail for admins.
func (e *Engine) fail(st *callState, outcome, detail string) {
	modelDetail := detail
	if outcome == OutcomeBlocked || outcome == OutcomeNetworkError {
		modelDetail = ""
	}
	e.failFor(st, outcome, modelDetail, detail)
}

// failFor ends the call with a failure outcome, telling the model
// modelDetail and recording detail for admins.
func (e *Engine) failFor(st *callState, outcome, modelDetail, detail string) {
	st.result.Outcome = outcome
	st.result.Result = json.RawMessage("null")
	st.result.Error = &CallError{Type: outcome, Message: prompts.UpstreamFailure(prompts.FailureData{
		Tool: st.call.Tool.Name, Outcome: outcome, Detail: modelDetail})}
	st.errText = detail
}

func msSince(now, start time.Time) float64 {
	return float64(now.Sub(start).Microseconds()) / 1000
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// tokenFailure starts the message of an OAuth token that could not be had.
const tokenFailure = "getting an access token failed for connection "

// refusal is an outcome whose message both admins and the model read.
func refusal(outcome, msg string) (string, string, string) { return outcome, msg, msg }

// isTransportError reports whether err is a failure to reach a server (its
// text names addresses), not a server's answer.
func isTransportError(err error) bool {
	var netErr net.Error
	var urlErr *url.Error
	return errors.As(err, &netErr) || errors.As(err, &urlErr) || errors.Is(err, context.DeadlineExceeded)
}

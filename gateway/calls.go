package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// callRequest is the body of POST /v1/tools/{name}/call.
type callRequest struct {
	Arguments json.RawMessage `json:"arguments,omitempty"`
	Context   map[string]any  `json:"context,omitempty"`
	// Background overrides the tool's setting when the tool allows it.
	Background *bool `json:"background,omitempty"`
	// CallbackURL receives the result of a background run, signed.
	CallbackURL string `json:"callback_url,omitempty"`
}

// Submitter queues background runs (package background's Queue).
type Submitter interface {
	Submit(ctx context.Context, run *store.Run, timeout time.Duration, callbackURL string) error
}

// idempotencyWindow is how long a client's Idempotency-Key is remembered.
const idempotencyWindow = 24 * time.Hour

// callTool runs one of the agent's tools: 200 with the result whenever the
// call got as far as sending (whatever the upstream said), 202 for a queued
// background run, 422 for invalid arguments, 404 for a tool the agent does
// not have.
func (s *Server) callTool(c *gin.Context) error {
	var req callRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if !isObjectOrEmpty(req.Arguments) {
		return badRequest("arguments must be a JSON object", map[string]string{"field": "arguments"})
	}
	idemKey := c.GetHeader("Idempotency-Key")
	if !validIdempotencyKey(idemKey) {
		return badRequest("Idempotency-Key must be at most 255 printable ASCII characters", nil)
	}
	res, err := s.invoke(c.Request.Context(), who(c), c.Param("name"), req.Arguments, req.Context, invokeOptions{
		Background: req.Background, CallbackURL: req.CallbackURL, IdempotencyKey: idemKey,
	})
	if err != nil {
		return err
	}
	c.JSON(res.HTTPStatus(), res)
	return nil
}

// invokeOptions are the per-call choices of invoke.
type invokeOptions struct {
	// Background overrides the tool's setting where the tool allows it.
	Background *bool
	// CallbackURL receives a background run's result.
	CallbackURL string
	// IdempotencyKey makes a repeated call return the first call's run.
	IdempotencyKey string
}

// invoke runs one of an agent's tools by name through the engine, exactly as
// POST /v1/tools/{name}/call does: every agent surface (REST, batch, MCP,
// chat runner, voice adapters) calls it. A queued background run comes back
// as a result with Status "queued" (HTTPStatus 202). The error is a request
// error (404 for a tool the agent does not have, 400 for a bad option);
// every failure of the call itself is an outcome in the result.
func (s *Server) invoke(ctx context.Context, p *principal, name string, args json.RawMessage, callerCtx map[string]any, opts invokeOptions) (*tools.Result, error) {
	prepared, err := s.catalog.AgentTool(ctx, p.WorkspaceID, p.AgentID, name)
	if err != nil {
		if errors.Is(err, tools.ErrToolNotFound) || errors.Is(err, store.ErrNotFound) {
			return nil, notFound("tool")
		}
		return nil, err
	}
	background := prepared.Def.Background
	if opts.Background != nil && *opts.Background != background {
		if !prepared.Def.AllowBackgroundOverride {
			return nil, badRequest("this tool does not allow the call to choose background or foreground", map[string]string{"field": "background"})
		}
		background = *opts.Background
	}
	if opts.CallbackURL != "" {
		if !background {
			return nil, badRequest("callback_url applies only to background calls", map[string]string{"field": "callback_url"})
		}
		if !tools.IsHTTPURL(opts.CallbackURL) {
			return nil, badRequest("callback_url must be an absolute http or https URL", map[string]string{"field": "callback_url"})
		}
	}
	call := &tools.Call{
		WorkspaceID:    p.WorkspaceID,
		AgentID:        p.AgentID,
		Tool:           prepared,
		Arguments:      args,
		Context:        callerContext(callerCtx, p.AgentID),
		IdempotencyKey: opts.IdempotencyKey,
	}
	if key := opts.IdempotencyKey; key != "" {
		unlock := s.idempotency.lock(p.WorkspaceID + "\x00" + p.AgentID + "\x00" + key)
		defer unlock()
		if err := s.engine.Recorder().Flush(ctx); err != nil {
			return nil, err
		}
		prev, err := s.store.RunGetByIdempotencyKey(ctx, p.WorkspaceID, p.AgentID, key, s.now().Add(-idempotencyWindow))
		if err == nil {
			if prev.ToolName != name {
				return nil, &HTTPError{Status: http.StatusConflict, Type: ErrTypeConflict,
					Message: "this Idempotency-Key was used for another tool (" + prev.ToolName + ") in the last 24 hours"}
			}
			return tools.ResultFromRun(prev), nil
		}
		if !isNotFound(err) {
			return nil, err
		}
	}
	if err := s.attachConnection(ctx, call); err != nil {
		return nil, err
	}
	if background && s.queue != nil {
		return s.submit(ctx, call, opts.CallbackURL)
	}
	return s.engine.Run(ctx, call), nil
}

// submit checks a background call synchronously and queues it. A call
// that fails the check is recorded and returned as it is.
func (s *Server) submit(ctx context.Context, call *tools.Call, callbackURL string) (*tools.Result, error) {
	call.CheckOnly = true
	res, record := s.engine.Execute(ctx, call)
	if record != nil {
		s.engine.Recorder().Record(record)
		return res, nil
	}
	args := call.Arguments
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	run := &store.Run{
		ID: res.RunID, WorkspaceID: call.WorkspaceID, ToolID: call.Tool.ToolID, ToolName: call.Tool.Name,
		ToolVersion: call.Tool.Version, AgentID: call.AgentID, Status: store.RunStatusQueued,
		Context: mustMarshal(call.Context), Arguments: args, Attempts: json.RawMessage("[]"),
		IdempotencyKey: call.IdempotencyKey, CreatedAt: s.now().UTC(),
	}
	if t, ok := store.IDTime(run.ID); ok {
		run.CreatedAt = t // the run's ID carries its creation time
	}
	if v, ok := call.Context["conversation_id"].(string); ok {
		run.ConversationID = v
	}
	timeout := time.Duration(call.Tool.Def.EffectiveTimeoutMS()) * time.Millisecond
	if err := s.queue.Submit(ctx, run, timeout, callbackURL); err != nil {
		return nil, err
	}
	return &tools.Result{RunID: run.ID, Tool: run.ToolName, Version: run.ToolVersion, Status: run.Status,
		Result: json.RawMessage("null")}, nil
}

// validIdempotencyKey reports whether a client's Idempotency-Key is usable:
// at most 255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// isObjectOrEmpty reports whether raw is absent, null or a JSON object
// (decoding has already proved it is valid JSON).
func isObjectOrEmpty(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null" || raw[0] == '{'
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// keyedLocks serialises work per key (in this process).
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns its unlock.
func (k *keyedLocks) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

// callerContext is the caller's context with the gateway's own facts set
// (a caller cannot claim to be another agent).
func callerContext(ctx map[string]any, agentID string) map[string]any {
	if ctx == nil {
		ctx = make(map[string]any, 1)
	}
	if agentID != "" {
		ctx["agent_id"] = agentID
	}
	return ctx
}

// attachConnection resolves the tool's connection into the call. A missing
// connection is the call's config_error, not the request's.
func (s *Server) attachConnection(ctx context.Context, call *tools.Call) error {
	name := call.Tool.Def.Connection
	if name == "" {
		return nil
	}
	conn, err := s.catalog.Connection(ctx, call.WorkspaceID, name)
	if errors.Is(err, store.ErrNotFound) {
		call.ConnectionErr = errors.New("connection " + name + " does not exist")
		return nil
	}
	if err != nil {
		return err
	}
	call.Conn = conn
	return nil
}

package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
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

// queuedView is the immediate answer to a background call.
type queuedView struct {
	RunID   string `json:"run_id"`
	Status  string `json:"status"`
	Tool    string `json:"tool"`
	Version int    `json:"version"`
}

// callTool runs one of the agent's tools: 200 with the result whenever the
// call got as far as sending (whatever the upstream said), 422 for invalid
// arguments, 404 for a tool the agent does not have.
func (s *Server) callTool(c *gin.Context) error {
	var req callRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if len(req.Arguments) > 0 && string(req.Arguments) != "null" && !isJSONObject(req.Arguments) {
		return badRequest("arguments must be a JSON object", map[string]string{"field": "arguments"})
	}
	ctx := c.Request.Context()
	p := who(c)
	prepared, err := s.catalog.AgentTool(ctx, p.WorkspaceID, p.AgentID, c.Param("name"))
	if err != nil {
		if errors.Is(err, tools.ErrToolNotFound) || errors.Is(err, store.ErrNotFound) {
			return notFound("tool")
		}
		return err
	}
	background := prepared.Def.Background
	if req.Background != nil && *req.Background != background {
		if !prepared.Def.AllowBackgroundOverride {
			return badRequest("this tool does not allow the call to choose background or foreground", map[string]string{"field": "background"})
		}
		background = *req.Background
	}
	if req.CallbackURL != "" {
		if !background {
			return badRequest("callback_url applies only to background calls", map[string]string{"field": "callback_url"})
		}
		if !isHTTPURL(req.CallbackURL) {
			return badRequest("callback_url must be an absolute http or https URL", map[string]string{"field": "callback_url"})
		}
	}
	idemKey := c.GetHeader("Idempotency-Key")
	if len(idemKey) > 255 || strings.ContainsAny(idemKey, "\r\n\x00") {
		return badRequest("Idempotency-Key must be at most 255 characters on one line", nil)
	}
	call := &tools.Call{
		WorkspaceID:    p.WorkspaceID,
		AgentID:        p.AgentID,
		Tool:           prepared,
		Arguments:      req.Arguments,
		Context:        callerContext(req.Context, p.AgentID),
		IdempotencyKey: idemKey,
	}
	if idemKey != "" {
		unlock := s.idempotency.lock(p.WorkspaceID + "\x00" + p.AgentID + "\x00" + idemKey)
		defer unlock()
		if err := s.engine.Recorder().Flush(ctx); err != nil {
			return err
		}
		prev, err := s.store.RunGetByIdempotencyKey(ctx, p.WorkspaceID, p.AgentID, idemKey, s.now().Add(-idempotencyWindow))
		if err == nil {
			writeStoredRun(c, prev)
			return nil
		}
		if !isNotFound(err) {
			return err
		}
	}
	if err := s.attachConnection(ctx, call); err != nil {
		return err
	}
	if background && s.queue != nil {
		return s.submit(c, call, req.CallbackURL)
	}
	writeResult(c, s.engine.Run(ctx, call))
	return nil
}

// submit checks a background call synchronously and queues it: 202 with
// the run ID, or 422 for invalid arguments.
func (s *Server) submit(c *gin.Context, call *tools.Call, callbackURL string) error {
	ctx := c.Request.Context()
	call.CheckOnly = true
	res, record := s.engine.Execute(ctx, call)
	if record != nil {
		s.engine.Recorder().Record(record)
		writeResult(c, res)
		return nil
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
	if v, ok := call.Context["conversation_id"].(string); ok {
		run.ConversationID = v
	}
	timeout := time.Duration(call.Tool.Def.EffectiveTimeoutMS()) * time.Millisecond
	if err := s.queue.Submit(ctx, run, timeout, callbackURL); err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, queuedView{RunID: run.ID, Status: run.Status, Tool: run.ToolName, Version: run.ToolVersion})
	return nil
}

// writeStoredRun answers a repeated call with the run it made before: 202
// while a background run is unfinished.
func writeStoredRun(c *gin.Context, r *store.Run) {
	switch r.Status {
	case store.RunStatusQueued, store.RunStatusRunning:
		c.JSON(http.StatusAccepted, queuedView{RunID: r.ID, Status: r.Status, Tool: r.ToolName, Version: r.ToolVersion})
	default:
		writeResult(c, tools.ResultFromRun(r))
	}
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
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

// writeResult answers with a call's result: 422 for invalid arguments, 200
// otherwise.
func writeResult(c *gin.Context, res *tools.Result) {
	status := http.StatusOK
	if res.Outcome == tools.OutcomeInvalidArguments {
		status = http.StatusUnprocessableEntity
	}
	c.JSON(status, res)
}

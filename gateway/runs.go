package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// runView is a run as the admin API shows it, for a person debugging.
type runView struct {
	ID             string          `json:"id"`
	Tool           string          `json:"tool"`
	ToolID         string          `json:"tool_id"`
	ToolVersion    int             `json:"tool_version"`
	AgentID        string          `json:"agent_id,omitempty"`
	ConversationID string          `json:"conversation_id,omitempty"`
	Status         string          `json:"status"`
	Outcome        string          `json:"outcome"`
	StatusCode     int             `json:"status_code,omitempty"`
	Error          string          `json:"error,omitempty"`
	Context        json.RawMessage `json:"context"`
	Arguments      json.RawMessage `json:"arguments"`
	Request        json.RawMessage `json:"request"`
	Response       json.RawMessage `json:"response"`
	Result         json.RawMessage `json:"result"`
	Truncated      bool            `json:"truncated"`
	Timings        json.RawMessage `json:"timings"`
	Attempts       json.RawMessage `json:"attempts"`
	DurationMS     float64         `json:"duration_ms"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	ReplayOf       string          `json:"replay_of,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	FinishedAt     *time.Time      `json:"finished_at,omitempty"`
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

func viewRun(r *store.Run) runView {
	return runView{
		ID: r.ID, Tool: r.ToolName, ToolID: r.ToolID, ToolVersion: r.ToolVersion, AgentID: r.AgentID,
		ConversationID: r.ConversationID, Status: r.Status, Outcome: r.Outcome, StatusCode: r.StatusCode,
		Error: r.Error, Context: orNull(r.Context), Arguments: orNull(r.Arguments), Request: orNull(r.Request),
		Response: orNull(r.Response), Result: orNull(r.Result), Truncated: r.Truncated, Timings: orNull(r.Timings),
		Attempts: orNull(r.Attempts), DurationMS: r.DurationMS, IdempotencyKey: r.IdempotencyKey,
		ReplayOf: r.ReplayOf, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt,
	}
}

// loadRun finds a run, looking first among those not yet written.
func (s *Server) loadRun(c *gin.Context, workspaceID, id string) (*store.Run, error) {
	if r, ok := s.engine.Recorder().Get(workspaceID, id); ok {
		return r, nil
	}
	r, err := s.store.RunGet(c.Request.Context(), workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "run")
	}
	return r, nil
}

func (s *Server) getRun(c *gin.Context) error {
	r, err := s.loadRun(c, who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewRun(r))
	return nil
}

// getAgentRun shows an agent its own run; another agent's run is 404.
func (s *Server) getAgentRun(c *gin.Context) error {
	p := who(c)
	r, err := s.loadRun(c, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	if r.AgentID != p.AgentID {
		return notFound("run")
	}
	c.JSON(http.StatusOK, tools.ResultFromRun(r))
	return nil
}

func (s *Server) listRuns(c *gin.Context) error {
	lp, err := listParams(c)
	if err != nil {
		return err
	}
	rp := store.RunListParams{ListParams: lp, Tool: c.Query("tool"), AgentID: c.Query("agent"),
		Outcome: c.Query("outcome"), Status: c.Query("status"), ConversationID: c.Query("conversation")}
	for name, dst := range map[string]*time.Time{"since": &rp.Since, "until": &rp.Until} {
		if v := c.Query(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return badRequest(name+" must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", map[string]string{"field": name})
			}
			*dst = t
		}
	}
	// Read this replica's own recent runs too: write what is queued first.
	if err := s.engine.Recorder().Flush(c.Request.Context()); err != nil {
		return err
	}
	runs, err := s.store.RunList(c.Request.Context(), who(c).WorkspaceID, rp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page(runs, lp, func(r *store.Run) string { return r.ID }, viewRun))
	return nil
}

// replayRequest optionally replaces the arguments of the replayed run.
type replayRequest struct {
	Arguments json.RawMessage `json:"arguments,omitempty"`
}

// replayRun runs a run's tool version again with its arguments and context
// (or edited arguments), as a new run linked to the old.
func (s *Server) replayRun(c *gin.Context) error {
	p := who(c)
	old, err := s.loadRun(c, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	var req replayRequest
	if c.Request.ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	var prepared *tools.Prepared
	if old.ToolVersion > 0 {
		prepared, err = s.catalog.Version(c.Request.Context(), p.WorkspaceID, old.ToolID, old.ToolVersion)
	} else {
		prepared, err = s.prepareDraft(c, p.WorkspaceID, old.ToolID)
	}
	if errors.Is(err, tools.ErrToolNotFound) || errors.Is(err, store.ErrNotFound) {
		return notFound("tool of the run")
	}
	if err != nil {
		return err
	}
	args := req.Arguments
	if len(args) == 0 {
		args = old.Arguments
	}
	var ctx map[string]any
	_ = json.Unmarshal(old.Context, &ctx)
	call := &tools.Call{WorkspaceID: p.WorkspaceID, AgentID: old.AgentID, Tool: prepared, Arguments: args,
		Context: ctx, ReplayOf: old.ID}
	if err := s.attachConnection(c.Request.Context(), call); err != nil {
		return err
	}
	res := s.engine.Run(c.Request.Context(), call)
	c.JSON(res.HTTPStatus(), res)
	return nil
}

// prepareDraft prepares a tool's current draft (version 0).
func (s *Server) prepareDraft(c *gin.Context, workspaceID, toolID string) (*tools.Prepared, error) {
	t, err := s.store.ToolGet(c.Request.Context(), workspaceID, toolID)
	if err != nil {
		return nil, err
	}
	prepared, err := tools.PrepareJSON(t.ID, 0, t.Definition)
	if err != nil {
		return nil, validationFailed("the draft cannot be run: "+err.Error(), nil)
	}
	return prepared, nil
}

// testRequest is the body of POST /v1/admin/tools/{id}/test.
type testRequest struct {
	Arguments json.RawMessage `json:"arguments,omitempty"`
	Context   map[string]any  `json:"context,omitempty"`
	DryRun    bool            `json:"dry_run,omitempty"`
}

// testTool runs a tool's draft; a dry run returns the rendered, redacted
// request without sending it.
func (s *Server) testTool(c *gin.Context) error {
	var req testRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p := who(c)
	prepared, err := s.prepareDraft(c, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "tool")
	}
	call := &tools.Call{WorkspaceID: p.WorkspaceID, Tool: prepared, Arguments: req.Arguments,
		Context: callerContext(req.Context, ""), DryRun: req.DryRun}
	if err := s.attachConnection(c.Request.Context(), call); err != nil {
		return err
	}
	res := s.engine.Run(c.Request.Context(), call)
	c.JSON(res.HTTPStatus(), res)
	return nil
}

// metricsHandlers serve Prometheus metrics: publicly when configured,
// otherwise to admin keys.
func (s *Server) metricsHandlers() []gin.HandlerFunc {
	if s.metrics == nil {
		return []gin.HandlerFunc{s.handle(func(*gin.Context) error { return notFound("route") })}
	}
	h := promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{})
	serve := func(c *gin.Context) { h.ServeHTTP(c.Writer, c.Request) }
	if s.metricsPublic {
		return []gin.HandlerFunc{serve}
	}
	return []gin.HandlerFunc{s.authenticate(store.RoleAdmin), serve}
}

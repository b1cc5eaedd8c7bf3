package mcpserver

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// MCP tasks (specification 2025-11-25, utilities/tasks) over background
// runs: a task is a run of the key's agent and its ID is the run ID. A
// task-augmented tools/call queues a background run; tasks/get, tasks/result,
// tasks/list and tasks/cancel read (and cancel) the agent's runs, so any
// replica answers them. Another agent's task is not found.

// TaskPollIntervalDefault is the polling interval suggested to task clients.
const TaskPollIntervalDefault = time.Second

// taskListPageSize is the page size of tasks/list.
const taskListPageSize = 50

// _meta keys of task messages.
const (
	relatedTaskMeta       = "io.modelcontextprotocol/related-task"
	immediateResponseMeta = "io.modelcontextprotocol/model-immediate-response"
)

// Task statuses.
const (
	taskWorking   = "working"
	taskCompleted = "completed"
	taskFailed    = "failed"
	taskCancelled = "cancelled"
)

// task is an MCP Task.
type task struct {
	TaskID        string `json:"taskId"`
	Status        string `json:"status"`
	StatusMessage string `json:"statusMessage,omitempty"`
	CreatedAt     string `json:"createdAt"`
	LastUpdatedAt string `json:"lastUpdatedAt"`
	// TTL is how long the task is kept from its creation (ms), null for
	// no limit.
	TTL          *int64 `json:"ttl"`
	PollInterval int64  `json:"pollInterval,omitempty"`
}

// taskHandler answers one tasks/* method.
type taskHandler func(g *Server, ctx context.Context, rc *requestContext, params json.RawMessage) (any, *rpcError)

var taskMethods = map[string]taskHandler{
	"tasks/get":    (*Server).getTask,
	"tasks/result": (*Server).taskResult,
	"tasks/list":   (*Server).listTasks,
	"tasks/cancel": (*Server).cancelTask,
}

// errTaskNotFound answers a task ID that is not one of the agent's runs.
var errTaskNotFound = &rpcError{Code: codeInvalidParams, Message: "Failed to retrieve task: Task not found"}

var errInternal = &rpcError{Code: codeInternalError, Message: "Internal error"}

// taskSupported reports whether a tool may be called as a task: it runs in
// the background, or lets the call choose.
func taskSupported(o *offeredTool) bool {
	return o.prepared.Def.Background || o.prepared.Def.AllowBackgroundOverride
}

// hasTask reports whether tools/call params ask for a task.
func hasTask(params json.RawMessage) bool {
	var p struct {
		Task json.RawMessage `json:"task"`
	}
	return json.Unmarshal(params, &p) == nil && len(p.Task) > 0 && string(p.Task) != "null"
}

// serveTaskMethod answers a tasks/* request.
func (g *Server) serveTaskMethod(w http.ResponseWriter, r *http.Request, rc *requestContext, msg *rpcMessage) {
	if !g.invoker.Queues() {
		writeError(w, http.StatusOK, msg.ID, &rpcError{Code: codeMethodNotFound, Message: "Method not found: " + msg.Method})
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer g.inflight.add(rc.session.ID, string(msg.ID), cancel)()
	res, rerr := taskMethods[msg.Method](g, ctx, rc, msg.Params)
	if rerr != nil {
		writeError(w, http.StatusOK, msg.ID, rerr)
		return
	}
	writeResult(w, msg.ID, res)
}

// createTask answers a task-augmented tools/call with a CreateTaskResult
// backed by a background run.
func (g *Server) createTask(w http.ResponseWriter, r *http.Request, rc *requestContext, msg *rpcMessage) {
	ctx := r.Context()
	var params struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(msg.Params, &params); err != nil {
		writeError(w, http.StatusOK, msg.ID, &rpcError{Code: codeInvalidParams, Message: "Invalid params: " + err.Error()})
		return
	}
	o := rc.agent.offered(params.Name)
	if o == nil {
		writeError(w, http.StatusOK, msg.ID, &rpcError{Code: codeInvalidParams, Message: "unknown tool " + jsonQuote(params.Name)})
		return
	}
	if !taskSupported(o) {
		writeError(w, http.StatusOK, msg.ID, &rpcError{Code: codeMethodNotFound,
			Message: "The tool " + params.Name + " does not run as a task (its execution.taskSupport is forbidden): call it without task"})
		return
	}
	if !httpapi.IsObjectOrEmpty(params.Arguments) {
		writeError(w, http.StatusOK, msg.ID, &rpcError{Code: codeInvalidParams, Message: "The arguments of " + params.Name + " must be a JSON object."})
		return
	}
	p := rc.principal
	req := &invoke.Request{WorkspaceID: p.WorkspaceID, AgentID: p.AgentID, Tool: params.Name,
		Arguments: params.Arguments, Context: callerContext(rc.session.ID)}
	if !o.prepared.Def.Background {
		background := true
		req.Background = &background
	}
	res, err := g.invoker.Call(ctx, req)
	if err != nil {
		pub := httpapi.PublicOf(err)
		switch {
		case pub.Status == http.StatusNotFound:
			writeError(w, http.StatusOK, msg.ID, &rpcError{Code: codeInvalidParams, Message: "unknown tool " + jsonQuote(params.Name)})
		case pub.Status < http.StatusInternalServerError:
			writeError(w, http.StatusOK, msg.ID, &rpcError{Code: codeInvalidParams, Message: pub.Message})
		default:
			g.log.ErrorContext(ctx, "MCP task call failed", slog.String("tool", params.Name), slog.Any("err", err))
			writeError(w, http.StatusOK, msg.ID, errInternal)
		}
		return
	}
	run, err := g.invoker.AgentRunRecord(ctx, p.WorkspaceID, p.AgentID, res.RunID)
	if err != nil {
		g.log.ErrorContext(ctx, "reading a new MCP task", slog.Any("err", err))
		writeError(w, http.StatusOK, msg.ID, errInternal)
		return
	}
	writeResult(w, msg.ID, map[string]any{
		"task":  g.taskOf(run),
		"_meta": map[string]any{immediateResponseMeta: invoke.AnswerOf(res).Text, mcpRunIDMeta: res.RunID},
	})
}

// taskParams are the params of tasks/get, tasks/result and tasks/cancel.
type taskParams struct {
	TaskID string `json:"taskId"`
}

// run reads the agent's run named by params.
func (g *Server) run(ctx context.Context, rc *requestContext, params json.RawMessage) (*store.Run, *rpcError) {
	var tp taskParams
	if err := json.Unmarshal(params, &tp); err != nil || tp.TaskID == "" {
		return nil, &rpcError{Code: codeInvalidParams, Message: "Invalid params: taskId is required"}
	}
	if len(tp.TaskID) > maxRequestIDBytes {
		return nil, errTaskNotFound
	}
	r, err := g.invoker.AgentRunRecord(ctx, rc.principal.WorkspaceID, rc.principal.AgentID, tp.TaskID)
	if problem.Is(err, problem.NotFound) {
		return nil, errTaskNotFound
	}
	if err != nil {
		g.log.ErrorContext(ctx, "reading an MCP task", slog.Any("err", err))
		return nil, errInternal
	}
	return r, nil
}

func (g *Server) getTask(ctx context.Context, rc *requestContext, params json.RawMessage) (any, *rpcError) {
	r, rerr := g.run(ctx, rc, params)
	if rerr != nil {
		return nil, rerr
	}
	return g.taskOf(r), nil
}

// taskResult waits until the task ends, then answers what the tools/call
// would have answered, with the related-task _meta.
func (g *Server) taskResult(ctx context.Context, rc *requestContext, params json.RawMessage) (any, *rpcError) {
	r, rerr := g.run(ctx, rc, params)
	if rerr != nil {
		return nil, rerr
	}
	wait := 50 * time.Millisecond
	for !runFinished(r) {
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, &rpcError{Code: codeInternalError, Message: "Request cancelled before the task finished"}
		case <-timer.C:
		}
		wait = min(wait*2, g.pollInterval)
		if r, rerr = g.run(ctx, rc, params); rerr != nil {
			return nil, rerr
		}
	}
	res := mcpResult(tools.ResultFromRun(r), rc.agent.offered(r.ToolName))
	res.Meta[relatedTaskMeta] = map[string]any{"taskId": r.ID}
	return res, nil
}

// listTasks lists the agent's tasks (its runs), newest first.
func (g *Server) listTasks(ctx context.Context, rc *requestContext, params json.RawMessage) (any, *rpcError) {
	var lp struct {
		Cursor string `json:"cursor"`
	}
	if len(params) > 0 && json.Unmarshal(params, &lp) != nil {
		return nil, &rpcError{Code: codeInvalidParams, Message: "Invalid params"}
	}
	if lp.Cursor != "" {
		if _, ok := store.IDTime(lp.Cursor); !ok {
			return nil, &rpcError{Code: codeInvalidParams, Message: "Invalid params: unknown cursor"}
		}
	}
	runs, err := g.invoker.AgentRuns(ctx, rc.principal.WorkspaceID, rc.principal.AgentID,
		store.ListParams{Limit: taskListPageSize, Cursor: lp.Cursor})
	if err != nil {
		g.log.ErrorContext(ctx, "listing MCP tasks", slog.Any("err", err))
		return nil, errInternal
	}
	out := map[string]any{}
	list := make([]task, 0, len(runs))
	for _, r := range runs {
		list = append(list, g.taskOf(r))
	}
	out["tasks"] = list
	if len(runs) == taskListPageSize {
		out["nextCursor"] = runs[len(runs)-1].ID
	}
	return out, nil
}

// cancelTask cancels a working task; a task that already ended is refused.
func (g *Server) cancelTask(ctx context.Context, rc *requestContext, params json.RawMessage) (any, *rpcError) {
	r, rerr := g.run(ctx, rc, params)
	if rerr != nil {
		return nil, rerr
	}
	p := rc.principal
	cancelled, err := g.invoker.CancelAgentRun(ctx, p.WorkspaceID, p.AgentID, r.ID)
	switch {
	case problem.Is(err, problem.NotFound):
		return nil, errTaskNotFound
	case problem.Is(err, problem.Conflict):
		if now, rerr := g.run(ctx, rc, params); rerr == nil {
			r = now
		}
		return nil, &rpcError{Code: codeInvalidParams, Message: "Cannot cancel task: already in terminal status '" + taskStatus(r) + "'"}
	case err != nil:
		g.log.ErrorContext(ctx, "cancelling an MCP task", slog.Any("err", err))
		return nil, errInternal
	}
	return g.taskOf(cancelled), nil
}

// runFinished reports whether a run reached a final state (a run awaiting
// an admin's approval has not).
func runFinished(r *store.Run) bool {
	return r.Status != store.RunStatusQueued && r.Status != store.RunStatusRunning &&
		r.Status != store.RunStatusAwaitingApproval
}

// taskStatus is a run's status as a task's.
func taskStatus(r *store.Run) string {
	switch {
	case !runFinished(r):
		return taskWorking
	case r.Outcome == invoke.OutcomeCancelled:
		return taskCancelled
	case r.Status == store.RunStatusSucceeded && r.Outcome == tools.OutcomeSuccess:
		return taskCompleted
	}
	return taskFailed
}

// taskOf is a run as an MCP task.
func (g *Server) taskOf(r *store.Run) task {
	var attempts []tools.Attempt
	if len(r.Attempts) > 0 {
		_ = json.Unmarshal(r.Attempts, &attempts)
	}
	t := task{TaskID: r.ID, Status: taskStatus(r), CreatedAt: isoTime(r.CreatedAt), PollInterval: g.pollInterval.Milliseconds()}
	updated := r.CreatedAt
	if n := len(attempts); n > 0 {
		last := attempts[n-1]
		updated = last.StartedAt.Add(time.Duration(last.DurationMS * float64(time.Millisecond)))
	}
	if r.FinishedAt != nil {
		updated = *r.FinishedAt
	}
	if updated.Before(r.CreatedAt) {
		updated = r.CreatedAt
	}
	t.LastUpdatedAt = isoTime(updated)
	if g.taskTTL > 0 {
		ttl := g.taskTTL.Milliseconds()
		t.TTL = &ttl
	}
	switch t.Status {
	case taskWorking:
		switch {
		case r.Status == store.RunStatusRunning:
			t.StatusMessage = "Running attempt " + itoa(len(attempts)+1) + "."
		case r.Status == store.RunStatusAwaitingApproval:
			t.StatusMessage = "Waiting for an admin to approve it."
		case len(attempts) > 0:
			last := attempts[len(attempts)-1]
			t.StatusMessage = "Attempt " + itoa(last.Attempt) + " ended with " + last.Outcome + "; it will be retried."
		default:
			t.StatusMessage = "Queued."
		}
	case taskCancelled:
		t.StatusMessage = "The task was cancelled by request."
	case taskFailed:
		t.StatusMessage = invoke.AnswerOf(tools.ResultFromRun(r)).Text
	}
	return t
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(truncate(s, 100))
	return string(b)
}

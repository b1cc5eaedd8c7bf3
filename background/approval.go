package background

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// ApprovalTxWriter writes approvals inside an open transaction of type
// TTx, so that a run awaiting approval, a decision and the jobs that
// follow them commit together. The store drivers implement it.
type ApprovalTxWriter[TTx any] interface {
	// ApprovalRequestTx stores a run awaiting approval and its approval.
	ApprovalRequestTx(ctx context.Context, tx TTx, run *store.Run, a *store.Approval) error
	// ApprovalDecideTx decides a pending approval and updates its run
	// (store.ErrNotFound, store.ErrConflict as ApprovalDecide).
	ApprovalDecideTx(ctx context.Context, tx TTx, d *store.ApprovalDecision) (*store.Approval, error)
}

// ApprovalWebhookArgs is the job that announces an approval request to the
// workspace's approval webhook.
type ApprovalWebhookArgs struct {
	WorkspaceID string `json:"workspace_id"`
	RunID       string `json:"run_id"`
	URL         string `json:"url"`
}

// Kind implements river.JobArgs.
func (ApprovalWebhookArgs) Kind() string { return "toolgate_approval_webhook" }

// EventHeader names the kind of a webhook delivery.
const EventHeader = "X-Toolgate-Event"

// EventApprovalRequested is the event of an approval request.
const EventApprovalRequested = "approval.requested"

// ApprovalRequest is the body of an approval webhook: what an approver
// needs to decide, and where to answer.
type ApprovalRequest struct {
	Event          string          `json:"event"`
	WorkspaceID    string          `json:"workspace_id"`
	RunID          string          `json:"run_id"`
	Tool           string          `json:"tool"`
	ToolVersion    int             `json:"tool_version"`
	AgentID        string          `json:"agent_id"`
	ConversationID string          `json:"conversation_id,omitempty"`
	Arguments      json.RawMessage `json:"arguments"`
	Context        json.RawMessage `json:"context"`
	Status         string          `json:"status"`
	RequestedAt    time.Time       `json:"requested_at"`
	ExpiresAt      time.Time       `json:"expires_at"`
	// ApprovePath and RejectPath are the admin API's routes (POST, with
	// an admin key) under the gateway's URL.
	ApprovePath string `json:"approve_path"`
	RejectPath  string `json:"reject_path"`
}

// errNoApprovals is a store that cannot write approvals in the queue's
// transactions.
var errNoApprovals = errors.New("background: the store cannot write approvals in the queue's transactions")

// approver is what a queue over a store that writes approvals offers.
type approver interface {
	requestApproval(ctx context.Context, run *store.Run, a *store.Approval, webhookURL string) error
	decideApproval(ctx context.Context, d *store.ApprovalDecision) (*store.Approval, error)
}

// RequestApproval stores a run awaiting approval with its approval and,
// when webhookURL is set, the job that announces it there, in one
// transaction. Nothing runs until it is approved.
func (q *Queue) RequestApproval(ctx context.Context, run *store.Run, a *store.Approval, webhookURL string) error {
	ap, ok := q.impl.(approver)
	if !ok {
		return errNoApprovals
	}
	return ap.requestApproval(ctx, run, a, webhookURL)
}

// DecideApproval decides a pending approval in one transaction with what
// follows: an approved run is queued with its job (a background run from
// then on); a rejected or expired one ends, and its callback, if it has
// one, is queued.
func (q *Queue) DecideApproval(ctx context.Context, d *store.ApprovalDecision) (*store.Approval, error) {
	ap, ok := q.impl.(approver)
	if !ok {
		return nil, errNoApprovals
	}
	return ap.decideApproval(ctx, d)
}

func (q *queue[TDriver, TTx]) approvalWriter() (ApprovalTxWriter[TTx], error) {
	w, ok := q.cfg.Store.(ApprovalTxWriter[TTx])
	if !ok {
		return nil, errNoApprovals
	}
	return w, nil
}

func (q *queue[TDriver, TTx]) requestApproval(ctx context.Context, run *store.Run, a *store.Approval, webhookURL string) error {
	w, err := q.approvalWriter()
	if err != nil {
		return err
	}
	tx, err := q.ops.begin(ctx)
	if err != nil {
		return err
	}
	defer q.ops.rollback(ctx, tx)
	if err := w.ApprovalRequestTx(ctx, tx, run, a); err != nil {
		return err
	}
	if webhookURL != "" {
		job := ApprovalWebhookArgs{WorkspaceID: a.WorkspaceID, RunID: a.RunID, URL: webhookURL}
		if _, err := q.client.InsertTx(ctx, tx, job, &river.InsertOpts{MaxAttempts: CallbackMaxAttempts}); err != nil {
			return fmt.Errorf("enqueueing approval webhook: %w", err)
		}
	}
	return q.ops.commit(ctx, tx)
}

func (q *queue[TDriver, TTx]) decideApproval(ctx context.Context, d *store.ApprovalDecision) (*store.Approval, error) {
	w, err := q.approvalWriter()
	if err != nil {
		return nil, err
	}
	tx, err := q.ops.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer q.ops.rollback(ctx, tx)
	a, err := w.ApprovalDecideTx(ctx, tx, d)
	if err != nil {
		return nil, err
	}
	switch {
	case d.Status == store.ApprovalApproved:
		job := RunArgs{WorkspaceID: a.WorkspaceID, RunID: a.RunID, CallbackURL: a.CallbackURL, TimeoutMS: a.TimeoutMS}
		if _, err := q.client.InsertTx(ctx, tx, job, nil); err != nil {
			return nil, fmt.Errorf("enqueueing approved run: %w", err)
		}
	case a.CallbackURL != "":
		cb := CallbackArgs{WorkspaceID: a.WorkspaceID, RunID: a.RunID, URL: a.CallbackURL}
		if _, err := q.client.InsertTx(ctx, tx, cb, &river.InsertOpts{MaxAttempts: CallbackMaxAttempts}); err != nil {
			return nil, fmt.Errorf("enqueueing callback: %w", err)
		}
	}
	if err := q.ops.commit(ctx, tx); err != nil {
		return nil, err
	}
	return a, nil
}

// approvalWebhookWorker announces approval requests.
type approvalWebhookWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[ApprovalWebhookArgs]
	q *queue[TDriver, TTx]
}

// Timeout bounds one delivery.
func (w *approvalWebhookWorker[TDriver, TTx]) Timeout(*river.Job[ApprovalWebhookArgs]) time.Duration {
	return CallbackTimeout + 5*time.Second
}

// Work POSTs the approval request, signed as callbacks are.
func (w *approvalWebhookWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[ApprovalWebhookArgs]) error {
	cfg := w.q.cfg
	args := job.Args
	run, err := cfg.Store.RunGet(ctx, args.WorkspaceID, args.RunID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	a, err := cfg.Store.ApprovalGet(ctx, args.WorkspaceID, args.RunID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	body, err := json.Marshal(ApprovalRequest{Event: EventApprovalRequested, WorkspaceID: run.WorkspaceID, RunID: run.ID,
		Tool: run.ToolName, ToolVersion: run.ToolVersion, AgentID: run.AgentID, ConversationID: run.ConversationID,
		Arguments: orNull(run.Arguments), Context: orNull(run.Context), Status: a.Status,
		RequestedAt: a.RequestedAt, ExpiresAt: a.ExpiresAt,
		ApprovePath: "/v1/admin/runs/" + run.ID + "/approve", RejectPath: "/v1/admin/runs/" + run.ID + "/reject"})
	if err != nil {
		return err
	}
	return w.q.deliver(ctx, args.WorkspaceID, run.ID, args.URL, EventApprovalRequested, body)
}

// deliver POSTs a signed body to a workspace's URL through the egress
// guard. A destination the guard refuses is never retried.
func (q *queue[TDriver, TTx]) deliver(ctx context.Context, workspaceID, runID, url, event string, body []byte) error {
	cfg := q.cfg
	ws, err := cfg.Store.WorkspaceGet(ctx, workspaceID)
	if err != nil {
		return err
	}
	secret, err := cfg.Box.Open(ws.SigningSecret, tenant.SigningSecretAAD(ws.ID))
	if err != nil {
		return river.JobCancel(fmt.Errorf("opening signing secret of workspace %s: %w", ws.ID, err))
	}
	ctx, cancel := context.WithTimeout(ctx, CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return river.JobCancel(fmt.Errorf("webhook URL: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(secret, cfg.Now(), body))
	req.Header.Set(EventHeader, event)
	req.Header.Set(tools.HeaderRunID, runID)
	resp, err := cfg.Client.Do(ctx, req, egress.Options{MaxResponseBytes: 64 << 10})
	if err != nil {
		if errors.Is(err, egress.ErrBlocked) {
			cfg.Logger.Warn("webhook refused by the egress guard", "run_id", runID, "event", event)
			return river.JobCancel(err)
		}
		return fmt.Errorf("delivering %s webhook: %w", event, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s webhook answered %d", event, resp.StatusCode)
	}
	return nil
}

// wait hands a run that a limit held back (nothing was sent) back to the
// queue: it is stored as queued with its earlier attempts only, and its
// job snoozes for wait without an attempt counted.
func (w *runWorker[TDriver, TTx]) wait(ctx context.Context, run *store.Run, prior []tools.Attempt, wait time.Duration) error {
	waiting := *run
	waiting.Status = store.RunStatusQueued
	waiting.Attempts = attemptsJSON(slices.Clip(prior))
	if prior == nil {
		waiting.Attempts = json.RawMessage("[]")
	}
	// Through the group commit, as every write of a worker: a run
	// cancelled meanwhile stays cancelled.
	if cancelled, err := w.q.writeUnlessFinished(ctx, &waiting, nil, nil); err != nil || cancelled {
		return cancelledOr(cancelled, err)
	}
	w.q.cfg.Logger.Debug("a limit held the run back; it waits", "run_id", run.ID, "wait", wait)
	return river.JobSnooze(wait)
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

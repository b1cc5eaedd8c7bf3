package background

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// runWorker executes background runs.
type runWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[RunArgs]
	q *queue[TDriver, TTx]
}

// recordMargin is the time a job has beyond its tool's timeout to load and
// record the run.
const recordMargin = 5 * time.Second

// Timeout gives an attempt its tool's timeout plus room to record it. River
// rescues a job only after both this and Config.RescueAfter have passed.
func (w *runWorker[TDriver, TTx]) Timeout(job *river.Job[RunArgs]) time.Duration {
	ms := job.Args.TimeoutMS
	if ms <= 0 || ms > tools.TimeoutMSMax {
		ms = tools.TimeoutMSMax
	}
	return time.Duration(ms)*time.Millisecond + recordMargin
}

// Work makes one attempt of a run. A retryable failure with attempts left
// stores the attempt and snoozes the job for the backoff; anything else is
// final: the run's last state is written with its callback's job, then the
// job completes. The writes go through the group commit (commit.go).
func (w *runWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	cfg := w.q.cfg
	args := job.Args
	run, err := cfg.Store.RunGet(ctx, args.WorkspaceID, args.RunID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("run %s no longer exists", args.RunID))
	}
	if err != nil {
		return err
	}
	if runFinished(run) {
		return nil // delivered again after it ended: the job completes
	}
	prior := priorAttempts(run.Attempts)
	attempt := len(prior) + 1
	// The attempt is on record before anything is sent: if this worker
	// dies mid-attempt, the job that is rescued finds it and numbers its
	// own attempt after it.
	started := startedAttempt(attempt, cfg.Now())
	running := *run
	running.Status = store.RunStatusRunning
	running.Attempts = attemptsJSON(append(slices.Clip(prior), started))
	if cancelled, err := w.q.writeUnlessFinished(ctx, &running, nil, nil); err != nil || cancelled {
		return cancelledOr(cancelled, err)
	}
	out, err := w.q.runner.RunAttempt(ctx, run, attempt, prior)
	if err != nil {
		return err
	}
	if out.Wait > 0 {
		return w.wait(ctx, run, prior, out.Wait) // a limit held it back
	}
	res, record := out.Result, out.Record
	if errors.Is(ctx.Err(), context.Canceled) {
		// Shutting down mid-attempt (River cancels the job's context, with
		// its own cause; a job timeout would be DeadlineExceeded): record
		// the attempt as interrupted and hand the job back, to run again
		// when a worker starts.
		w.handBack(ctx, &running, prior, started)
		return river.JobSnooze(0)
	}
	if tools.Retryable(res.Outcome, res.StatusCode) && attempt < out.MaxAttempts {
		record.Status = store.RunStatusQueued
		record.FinishedAt = nil
		// The next attempt runs from the submitted arguments, not from
		// the redacted copy made for display.
		record.Arguments, record.Context = run.Arguments, run.Context
		if cancelled, err := w.q.writeUnlessFinished(ctx, record, nil, nil); err != nil || cancelled {
			return cancelledOr(cancelled, err)
		}
		return river.JobSnooze(Backoff(cfg.BackoffBase, attempt, res.RetryAfter, cfg.Jitter))
	}
	return w.finish(ctx, job, record)
}

// handBack stores a run whose attempt started was cut short by shutdown as
// queued again, with that attempt interrupted. It is best effort: if it
// fails, the next attempt finds the attempt still running and marks it
// interrupted then.
func (w *runWorker[TDriver, TTx]) handBack(ctx context.Context, running *store.Run, prior []tools.Attempt, started tools.Attempt) {
	cfg := w.q.cfg
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handBackTimeout)
	defer cancel()
	interrupted(&started, cfg.Now())
	queued := *running
	queued.Status = store.RunStatusQueued
	queued.Attempts = attemptsJSON(append(slices.Clip(prior), started))
	// A run cancelled meanwhile stays cancelled.
	if _, err := w.q.writeUnlessFinished(ctx, &queued, nil, nil); err != nil {
		cfg.Logger.Warn("recording an interrupted attempt", "run_id", running.ID, "error", err)
	}
}

// finish writes the run's final record with its callback's job, in the
// group commit; the job then completes (River completes jobs in batches).
// Should this process die in between, the job is rescued, finds the run
// finished and completes.
func (w *runWorker[TDriver, TTx]) finish(ctx context.Context, job *river.Job[RunArgs], record *store.Run) error {
	var callback river.JobArgs
	if job.Args.CallbackURL != "" {
		callback = CallbackArgs{WorkspaceID: record.WorkspaceID, RunID: record.ID, URL: job.Args.CallbackURL}
	}
	cancelled, err := w.q.writeUnlessFinished(ctx, record, callback, &river.InsertOpts{MaxAttempts: CallbackMaxAttempts})
	if err != nil {
		return fmt.Errorf("storing final run: %w", err)
	}
	if cancelled {
		return river.JobCancel(errRunCancelled) // see cancel.go
	}
	return nil
}

// SignatureHeader carries a callback's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
const SignatureHeader = "X-Toolgate-Signature"

// Sign returns the signature header value of body at time t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// callbackWorker delivers a finished run to its callback URL.
type callbackWorker[TDriver riverdriver.Driver[TTx], TTx any] struct {
	river.WorkerDefaults[CallbackArgs]
	q *queue[TDriver, TTx]
}

// Timeout bounds one delivery.
func (w *callbackWorker[TDriver, TTx]) Timeout(*river.Job[CallbackArgs]) time.Duration {
	return CallbackTimeout + 5*time.Second
}

// Work POSTs the run's result, signed with the workspace's secret. A
// destination the egress guard refuses is never retried.
func (w *callbackWorker[TDriver, TTx]) Work(ctx context.Context, job *river.Job[CallbackArgs]) error {
	cfg := w.q.cfg
	args := job.Args
	run, err := cfg.Store.RunGet(ctx, args.WorkspaceID, args.RunID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	ws, err := cfg.Store.WorkspaceGet(ctx, args.WorkspaceID)
	if err != nil {
		return err
	}
	secret, err := cfg.Box.Open(ws.SigningSecret, tenant.SigningSecretAAD(ws.ID))
	if err != nil {
		return river.JobCancel(fmt.Errorf("opening signing secret of workspace %s: %w", ws.ID, err))
	}
	body, err := json.Marshal(tools.ResultFromRun(run))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, args.URL, bytes.NewReader(body))
	if err != nil {
		return river.JobCancel(fmt.Errorf("callback URL: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(secret, cfg.Now(), body))
	req.Header.Set(tools.HeaderRunID, run.ID)
	resp, err := cfg.Client.Do(ctx, req, egress.Options{MaxResponseBytes: 64 << 10})
	if err != nil {
		if errors.Is(err, egress.ErrBlocked) {
			// The URL (which may carry the receiver's token) stays out of the log.
			reason := "blocked"
			if be := (*egress.BlockedError)(nil); errors.As(err, &be) {
				reason = be.Reason + " " + be.Addr.String()
			}
			cfg.Logger.Warn("callback refused by the egress guard", "run_id", run.ID, "reason", reason)
			return river.JobCancel(err)
		}
		return fmt.Errorf("delivering callback: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("callback answered %d", resp.StatusCode)
	}
	return nil
}

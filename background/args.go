package background

import (
	"math/rand/v2"
	"time"
)

// RunArgs is the job that executes a queued background run. The run row
// holds everything else (tool version, arguments, context).
type RunArgs struct {
	WorkspaceID string `json:"workspace_id"`
	RunID       string `json:"run_id"`
	CallbackURL string `json:"callback_url,omitempty"`
	// TimeoutMS is the tool's timeout: it bounds the job, and so how soon a
	// job whose worker died is rescued.
	TimeoutMS int `json:"timeout_ms,omitempty"`
}

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return "toolgate_run" }

// CallbackArgs is the job that delivers a finished run to a callback URL.
type CallbackArgs struct {
	WorkspaceID string `json:"workspace_id"`
	RunID       string `json:"run_id"`
	URL         string `json:"url"`
}

// Kind implements river.JobArgs.
func (CallbackArgs) Kind() string { return "toolgate_callback" }

// Backoff bounds.
const (
	BackoffBaseDefault = time.Second
	BackoffMax         = 5 * time.Minute
)

// Backoff returns how long to wait before attempt+1 after a retryable
// failure of attempt (1-based): exponential from base, capped at
// BackoffMax, with jitter in [d/2, d]; never less than the upstream's
// Retry-After (itself capped at BackoffMax). jitter returns a float in
// [0, 1); nil means math/rand.
func Backoff(base time.Duration, attempt int, retryAfter time.Duration, jitter func() float64) time.Duration {
	if jitter == nil {
		jitter = rand.Float64
	}
	d := BackoffMax
	if attempt < 20 {
		d = min(base<<(max(attempt, 1)-1), BackoffMax)
	}
	d = d/2 + time.Duration(jitter()*float64(d/2))
	return max(d, min(retryAfter, BackoffMax))
}

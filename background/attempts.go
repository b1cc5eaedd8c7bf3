package background

import (
	"encoding/json"
	"time"

	"github.com/toolgate/toolgate/tools"
)

// Outcomes of a background attempt that has not ended normally. A run's
// attempts list every attempt that may have reached the upstream, so that
// a run retried after its worker died says so.
const (
	// OutcomeRunning is an attempt that has started and not yet ended. It
	// is on record before the request is sent.
	OutcomeRunning = "running"
	// OutcomeInterrupted is an attempt whose worker stopped (it crashed or
	// was shut down) before the attempt ended: the upstream may or may not
	// have received it.
	OutcomeInterrupted = "interrupted"
)

// interruptedError explains an interrupted attempt to whoever reads the run.
const interruptedError = "the worker stopped before this attempt ended; the upstream may have received it"

// handBackTimeout bounds recording an attempt interrupted by shutdown.
const handBackTimeout = 5 * time.Second

// startedAttempt returns attempt number n, started at now, as recorded before
// its request is sent.
func startedAttempt(n int, now time.Time) tools.Attempt {
	return tools.Attempt{Attempt: n, Outcome: OutcomeRunning, StartedAt: now.UTC()}
}

// interrupted marks a running attempt interrupted at now.
func interrupted(a *tools.Attempt, now time.Time) {
	a.Outcome = OutcomeInterrupted
	a.Error = interruptedError
	if d := now.Sub(a.StartedAt); d > 0 {
		a.DurationMS = float64(d.Microseconds()) / 1000
	}
}

// priorAttempts decodes a run's attempts for its next attempt. An attempt
// still running was cut short (the job is being worked again), so it is
// marked interrupted; its duration is unknown.
func priorAttempts(raw json.RawMessage) []tools.Attempt {
	var prior []tools.Attempt
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &prior)
	}
	for i := range prior {
		if prior[i].Outcome == OutcomeRunning {
			prior[i].Outcome = OutcomeInterrupted
			prior[i].Error = interruptedError
		}
	}
	return prior
}

// attemptsJSON encodes a run's attempts.
func attemptsJSON(attempts []tools.Attempt) json.RawMessage {
	b, err := json.Marshal(attempts)
	if err != nil {
		panic(err) // tools.Attempt always encodes
	}
	return b
}

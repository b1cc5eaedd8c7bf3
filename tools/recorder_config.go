package tools

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/toolgate/toolgate/store"
)

// RecordingMode says what happens when runs cannot be written as fast as
// calls are made (the store refuses writes) and the recorder's buffer is
// full.
type RecordingMode string

// Recording modes.
const (
	// RecordingRequired refuses new calls, before anything is sent
	// upstream, while the buffer of unwritten runs is full: every call that
	// was made has its run recorded. The default.
	RecordingRequired RecordingMode = "required"
	// RecordingBestEffort keeps serving calls and drops the runs that do
	// not fit in the buffer, logging and counting every one.
	RecordingBestEffort RecordingMode = "best_effort"
)

// ParseRecordingMode parses "required" or "best_effort" (the empty string
// is the default, required).
func ParseRecordingMode(s string) (RecordingMode, error) {
	switch m := RecordingMode(s); m {
	case "":
		return RecordingRequired, nil
	case RecordingRequired, RecordingBestEffort:
		return m, nil
	}
	return "", fmt.Errorf("run recording mode %q: must be %s or %s", s, RecordingRequired, RecordingBestEffort)
}

// Recorder defaults.
const (
	// RecorderBatchDefault is the largest number of runs written in one
	// transaction.
	RecorderBatchDefault = 256
	// RecorderFlushDefault is the longest a run waits for its batch to fill
	// while the store takes writes.
	RecorderFlushDefault = 20 * time.Millisecond
	// RecorderMaxPendingDefault is how many unwritten runs are kept while
	// the store refuses writes: at 1,000 calls a second, 50 seconds of
	// outage.
	RecorderMaxPendingDefault = 50_000
	// RecorderMaxPendingBytesDefault bounds the memory those runs hold
	// (estimated from their fields): 256 MiB.
	RecorderMaxPendingBytesDefault = 256 << 20
	// RecorderRetryMinDefault is the first wait after a failed write; each
	// further failure doubles it.
	RecorderRetryMinDefault = 100 * time.Millisecond
	// RecorderRetryMaxDefault is the longest wait between two tries: once
	// the store takes writes again, the kept runs are written within it.
	RecorderRetryMaxDefault = 2 * time.Second
	// RecorderStopTimeoutDefault bounds how long Stop keeps trying to write
	// the runs still pending.
	RecorderStopTimeoutDefault = 10 * time.Second
)

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Store receives the runs. Required.
	Store  store.Store
	Logger *slog.Logger
	// Mode is RecordingRequired or RecordingBestEffort. Defaults to
	// RecordingRequired.
	Mode RecordingMode
	// MaxPending is the most runs kept unwritten, queued or waiting for the
	// store to take writes again. In required mode, calls are refused
	// (Admit) while it is reached; runs of calls already admitted are
	// still kept, so it is exceeded by at most the calls in flight. In
	// best-effort mode, runs beyond it are dropped. Defaults to
	// RecorderMaxPendingDefault.
	MaxPending int
	// MaxPendingBytes bounds the estimated size of those runs in the same
	// way. Defaults to RecorderMaxPendingBytesDefault.
	MaxPendingBytes int64
	// Batch is the largest number of runs written in one transaction.
	// Defaults to RecorderBatchDefault.
	Batch int
	// Flush is how long a run may wait for its batch to fill. Defaults to
	// RecorderFlushDefault.
	Flush time.Duration
	// RetryMin and RetryMax bound the backoff between tries while the
	// store refuses writes. Default to RecorderRetryMinDefault and
	// RecorderRetryMaxDefault.
	RetryMin, RetryMax time.Duration
	// StopTimeout bounds how long Stop keeps trying to write what is
	// pending. Defaults to RecorderStopTimeoutDefault.
	StopTimeout time.Duration
	// Metrics, if set, observes the recorder.
	Metrics *Metrics
	// Now and After are the clock of retries and of Stop's deadline.
	// Default to time.Now and time.After.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// WithDefaults returns the configuration with its zero fields set to their
// defaults.
func (c RecorderConfig) WithDefaults() RecorderConfig {
	c.Mode = cmp.Or(c.Mode, RecordingRequired)
	c.MaxPending = cmp.Or(c.MaxPending, RecorderMaxPendingDefault)
	c.MaxPendingBytes = cmp.Or(c.MaxPendingBytes, RecorderMaxPendingBytesDefault)
	c.Batch = cmp.Or(c.Batch, RecorderBatchDefault)
	c.Flush = cmp.Or(c.Flush, RecorderFlushDefault)
	c.RetryMin = cmp.Or(c.RetryMin, RecorderRetryMinDefault)
	c.RetryMax = cmp.Or(c.RetryMax, RecorderRetryMaxDefault)
	c.StopTimeout = cmp.Or(c.StopTimeout, RecorderStopTimeoutDefault)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.After == nil {
		c.After = time.After
	}
	return c
}

// Validate reports the first invalid field of a configuration with its
// defaults applied.
func (c RecorderConfig) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("RecorderConfig.Store is required")
	case c.Mode != RecordingRequired && c.Mode != RecordingBestEffort:
		return fmt.Errorf("RecorderConfig.Mode %q: must be %s or %s", c.Mode, RecordingRequired, RecordingBestEffort)
	case c.MaxPending < 1:
		return errors.New("RecorderConfig.MaxPending must be positive")
	case c.MaxPendingBytes < 1:
		return errors.New("RecorderConfig.MaxPendingBytes must be positive")
	case c.Batch < 1:
		return errors.New("RecorderConfig.Batch must be positive")
	case c.Flush < 0:
		return errors.New("RecorderConfig.Flush must not be negative")
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return errors.New("RecorderConfig.RetryMin must be positive and at most RetryMax")
	case c.StopTimeout <= 0:
		return errors.New("RecorderConfig.StopTimeout must be positive")
	}
	return nil
}

package tools

import (
	"log/slog"
	"sync"
	"time"

	"github.com/toolgate/toolgate/store"
)

// Limits of the recorder's per-run log lines.
const (
	// runLogInterval is the window over which per-run lines are limited.
	runLogInterval = 10 * time.Second
	// runLogLines is how many runs a window logs one line each for; the
	// rest of the window's runs are logged together when it ends.
	runLogLines = 10
	// runLogIDs is how many run IDs one aggregate line names; it counts
	// the rest.
	runLogIDs = 1000
)

// runLog logs events about runs (a dropped run, a run stored without its
// details) at error level, each with its run's ID, without flooding the
// log: the first runLogLines runs of a window get a line each, the rest one
// line per window naming their IDs.
type runLog struct {
	log        *slog.Logger
	now        func() time.Time
	each, many string

	mu     sync.Mutex
	start  time.Time // of the current window
	lines  int
	ids    []string // runs of the window not logged yet
	more   int      // runs of the window beyond runLogIDs
	reason string   // of the latest of them
	err    error
}

// add logs, or notes for the window's aggregate line, one run.
func (l *runLog) add(run *store.Run, reason string, err error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= runLogInterval {
		l.emitLocked()
		l.start, l.lines = now, 0
	}
	if l.lines < runLogLines {
		l.lines++
		attrs := []any{"run_id", run.ID, "workspace_id", run.WorkspaceID, "tool", run.ToolName, "reason", reason}
		if err != nil {
			attrs = append(attrs, "err", err)
		}
		l.log.Error(l.each, attrs...)
		return
	}
	if len(l.ids) < runLogIDs {
		l.ids = append(l.ids, run.ID)
	} else {
		l.more++
	}
	l.reason, l.err = reason, err
}

// waiting reports whether runs wait for the window's aggregate line.
func (l *runLog) waiting() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ids) > 0
}

// tick writes the aggregate line of a window that has ended.
func (l *runLog) tick() {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ids) > 0 && now.Sub(l.start) >= runLogInterval {
		l.emitLocked()
	}
}

// flush writes the aggregate line now.
func (l *runLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emitLocked()
}

func (l *runLog) emitLocked() {
	if len(l.ids) == 0 {
		return
	}
	attrs := []any{"runs", len(l.ids) + l.more, "run_ids", l.ids, "reason", l.reason}
	if l.more > 0 {
		attrs = append(attrs, "run_ids_not_listed", l.more)
	}
	if l.err != nil {
		attrs = append(attrs, "err", l.err)
	}
	l.log.Error(l.many, attrs...)
	l.ids, l.more, l.reason, l.err = nil, 0, "", nil
}

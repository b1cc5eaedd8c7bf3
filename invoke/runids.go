package invoke

import (
	"context"
	"sync"
)

// maxNotedRuns bounds the run IDs a RunIDs keeps (a batch or a chat turn
// can make many calls); Count still counts them all.
const maxNotedRuns = 32

// RunIDs collects the IDs of the runs that the calls made under one context
// produced, for the surface that served the request: its access log line
// names them. It is safe for concurrent use (a batch runs calls at once).
type RunIDs struct {
	mu    sync.Mutex
	ids   []string
	count int
}

type runIDsKey struct{}

// WithRunIDs returns a context under which every call notes its run's ID
// in the returned RunIDs.
func WithRunIDs(ctx context.Context) (context.Context, *RunIDs) {
	r := &RunIDs{}
	return context.WithValue(ctx, runIDsKey{}, r), r
}

// IDs returns the first noted run IDs (at most 32), in the order their
// calls ended.
func (r *RunIDs) IDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// Count is how many runs were noted.
func (r *RunIDs) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// noteRun notes a run in the RunIDs of ctx, if it has one.
func noteRun(ctx context.Context, runID string) {
	r, ok := ctx.Value(runIDsKey{}).(*RunIDs)
	if !ok || runID == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count++
	if len(r.ids) < maxNotedRuns {
		r.ids = append(r.ids, runID)
	}
}

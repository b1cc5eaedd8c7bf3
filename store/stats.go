package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Bounds of run statistics.
const (
	// RunStatsBucketsMax bounds how many buckets one RunStats call makes.
	RunStatsBucketsMax = 1440
	// RunStatsSampleMaxDefault is the default bound on the durations
	// RunStats samples for percentiles.
	RunStatsSampleMaxDefault = 2000
	// RunStatsSampleMaxLimit bounds RunStatsParams.SampleMax.
	RunStatsSampleMaxLimit = 200000
)

// RunStatsParams selects the runs RunStats aggregates: the workspace's runs
// created in [Since, Until), of one tool and one agent when those are set,
// counted in buckets of Bucket from Since.
type RunStatsParams struct {
	Since, Until time.Time
	Bucket       time.Duration
	Tool         string
	AgentID      string
	// SampleMax bounds the durations sampled. Defaults to
	// RunStatsSampleMaxDefault.
	SampleMax int
}

// Buckets returns how many buckets the range makes.
func (p *RunStatsParams) Buckets() int {
	if p.Bucket <= 0 || !p.Until.After(p.Since) {
		return 0
	}
	return int((p.Until.Sub(p.Since) + p.Bucket - 1) / p.Bucket)
}

// EffectiveSampleMax returns SampleMax or its default.
func (p *RunStatsParams) EffectiveSampleMax() int {
	if p.SampleMax <= 0 {
		return RunStatsSampleMaxDefault
	}
	return min(p.SampleMax, RunStatsSampleMaxLimit)
}

// Validate reports parameters no store accepts.
func (p *RunStatsParams) Validate() error {
	switch {
	case p.Since.IsZero() || p.Until.IsZero() || !p.Until.After(p.Since):
		return errors.New("run stats: Since and Until must be set, Since before Until")
	case p.Bucket < time.Millisecond:
		return errors.New("run stats: Bucket must be at least a millisecond")
	case p.Buckets() > RunStatsBucketsMax:
		return fmt.Errorf("run stats: %d buckets, at most %d", p.Buckets(), RunStatsBucketsMax)
	}
	return nil
}

// RunStatsGroup counts the runs of one bucket, tool, agent and outcome
// ("" for runs not finished yet).
type RunStatsGroup struct {
	Bucket  int
	Tool    string
	AgentID string
	Outcome string
	Count   int
}

// RunStatsSample is the duration of one sampled finished run.
type RunStatsSample struct {
	Bucket     int
	Tool       string
	AgentID    string
	Outcome    string
	DurationMS float64
}

// RunStats is what RunStats returns: exact counts, and durations of a
// uniform sample of the finished runs for percentiles.
type RunStats struct {
	Groups  []RunStatsGroup
	Samples []RunStatsSample
	// SampleRate is the fraction of finished runs sampled (1: all of them).
	SampleRate float64
}

// RunStatsStore aggregates runs for the console's dashboard. Every Store
// implements it.
//
// Both stores answer from the (workspace_id, id) index (or the tool's and
// agent's), bounding IDs by the time range as RunList does (run IDs carry
// their creation time), in two queries: counts grouped by bucket, tool,
// agent and outcome; then durations of the finished runs, all of them when
// there are at most SampleMax, else those whose ID ends (in its random
// bits) below a threshold chosen so that about SampleMax are expected — a
// uniform sample, the same on every call — capped at SampleMax rows.
type RunStatsStore interface {
	RunStats(ctx context.Context, workspaceID string, p RunStatsParams) (*RunStats, error)
}

// RunStatsSampleThreshold returns the two-hex-digit threshold that the last
// two characters of a run ID (8 random bits) must be below for a run to be
// sampled, so that about sampleMax of finished runs are, and the rate it
// gives; "" when every run is sampled.
func RunStatsSampleThreshold(finished, sampleMax int) (threshold string, rate float64) {
	if finished <= sampleMax {
		return "", 1
	}
	n := max(1, 256*sampleMax/finished)
	if n >= 256 {
		return "", 1
	}
	return fmt.Sprintf("%02x", n), float64(n) / 256
}

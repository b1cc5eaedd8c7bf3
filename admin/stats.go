package admin

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// StatsParams selects the runs of a dashboard: created in [Since, Until),
// in buckets of Bucket, of one tool and one agent when those are set.
type StatsParams struct {
	Since, Until time.Time
	Bucket       time.Duration
	Tool         string
	AgentID      string
}

// Stats is a dashboard's aggregate of runs: the whole selection, and each
// tool and agent in it.
type Stats struct {
	Since, Until time.Time
	Bucket       time.Duration
	// SampleRate is the fraction of finished runs whose durations the
	// percentiles come from (1: all of them).
	SampleRate float64
	Total      StatsSeries
	// Tools and Agents are the selection's tools (by name) and agents (by
	// ID, "" for runs made from the console), busiest first.
	Tools  []StatsSeries
	Agents []StatsSeries
}

// StatsSeries is the aggregate of some runs: totals, and one entry per
// bucket (all buckets of the range, empty ones included).
type StatsSeries struct {
	Key      string
	Count    int
	Outcomes map[string]int
	Latency  Latency
	Buckets  []StatsBucket
}

// StatsBucket is a series' runs in one bucket.
type StatsBucket struct {
	Start    time.Time
	Count    int
	Outcomes map[string]int
	Latency  Latency
}

// Latency is the median and 95th percentile of run durations, from
// Samples sampled durations (none: both zero). Runs that never reached
// the upstream (invalid arguments, blocked, configuration errors) do not
// count.
type Latency struct {
	P50MS, P95MS float64
	Samples      int
}

// noUpstream are the outcomes of runs that sent nothing upstream: their
// durations say nothing of latency.
var noUpstream = []string{tools.OutcomeInvalidArguments, tools.OutcomeBlocked, tools.OutcomeConfigError}

// Stats aggregates the workspace's runs for the dashboard. Counts are
// exact; percentiles come from a bounded uniform sample of durations (see
// store.RunStatsStore), computed here by nearest rank.
func (s *Runs) Stats(ctx context.Context, workspaceID string, p StatsParams) (*Stats, error) {
	sp := store.RunStatsParams{Since: p.Since.UTC(), Until: p.Until.UTC(), Bucket: p.Bucket, Tool: p.Tool, AgentID: p.AgentID}
	if err := sp.Validate(); err != nil {
		return nil, problem.BadRequestf("", "%s", strings.TrimPrefix(err.Error(), "run stats: "))
	}
	if err := s.d.recorder.Flush(ctx); err != nil && !errors.Is(err, tools.ErrRunHistoryUnavailable) {
		return nil, err
	}
	raw, err := s.d.store.RunStats(ctx, workspaceID, sp)
	if err != nil {
		return nil, err
	}
	n := sp.Buckets()
	out := &Stats{Since: sp.Since, Until: sp.Until, Bucket: sp.Bucket, SampleRate: raw.SampleRate}
	total := newSeries("", sp, n)
	toolSeries, agentSeries := map[string]*seriesBuilder{}, map[string]*seriesBuilder{}
	get := func(m map[string]*seriesBuilder, key string) *seriesBuilder {
		b, ok := m[key]
		if !ok {
			b = newSeries(key, sp, n)
			m[key] = b
		}
		return b
	}
	for _, g := range raw.Groups {
		if g.Bucket < 0 || g.Bucket >= n {
			continue
		}
		for _, b := range []*seriesBuilder{total, get(toolSeries, g.Tool), get(agentSeries, g.AgentID)} {
			b.count(g.Bucket, g.Outcome, g.Count)
		}
	}
	for _, r := range raw.Samples {
		if r.Bucket < 0 || r.Bucket >= n || slices.Contains(noUpstream, r.Outcome) {
			continue
		}
		for _, b := range []*seriesBuilder{total, get(toolSeries, r.Tool), get(agentSeries, r.AgentID)} {
			b.sample(r.Bucket, r.DurationMS)
		}
	}
	out.Total = total.build()
	out.Tools = buildAll(toolSeries)
	out.Agents = buildAll(agentSeries)
	return out, nil
}

// seriesBuilder gathers one series.
type seriesBuilder struct {
	series    StatsSeries
	durations []float64
	byBucket  [][]float64
}

func newSeries(key string, p store.RunStatsParams, n int) *seriesBuilder {
	b := &seriesBuilder{series: StatsSeries{Key: key, Outcomes: map[string]int{}, Buckets: make([]StatsBucket, n)}, byBucket: make([][]float64, n)}
	for i := range b.series.Buckets {
		b.series.Buckets[i] = StatsBucket{Start: p.Since.Add(time.Duration(i) * p.Bucket), Outcomes: map[string]int{}}
	}
	return b
}

func (b *seriesBuilder) count(bucket int, outcome string, n int) {
	b.series.Count += n
	b.series.Outcomes[outcome] += n
	bk := &b.series.Buckets[bucket]
	bk.Count += n
	bk.Outcomes[outcome] += n
}

func (b *seriesBuilder) sample(bucket int, ms float64) {
	b.durations = append(b.durations, ms)
	b.byBucket[bucket] = append(b.byBucket[bucket], ms)
}

func (b *seriesBuilder) build() StatsSeries {
	b.series.Latency = latencyOf(b.durations)
	for i, d := range b.byBucket {
		b.series.Buckets[i].Latency = latencyOf(d)
	}
	return b.series
}

func buildAll(m map[string]*seriesBuilder) []StatsSeries {
	out := make([]StatsSeries, 0, len(m))
	for _, b := range m {
		out = append(out, b.build())
	}
	slices.SortFunc(out, func(a, b StatsSeries) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// latencyOf returns the nearest-rank median and 95th percentile.
func latencyOf(durations []float64) Latency {
	if len(durations) == 0 {
		return Latency{}
	}
	slices.Sort(durations)
	rank := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(durations)))) - 1
		return durations[max(0, min(i, len(durations)-1))]
	}
	return Latency{P50MS: rank(0.5), P95MS: rank(0.95), Samples: len(durations)}
}

package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/toolgate/toolgate/store"
)

// RunStats aggregates the workspace's runs created in [p.Since, p.Until):
// exact counts per bucket, tool, agent and outcome, and the durations of a
// bounded uniform sample of the finished runs (see store.RunStatsStore).
//
// Percentiles are computed by the caller from the sample, as on SQLite,
// rather than with percentile_cont: that would be exact, but it sorts every
// duration of each group the dashboard shows (per bucket, per tool, per
// agent) and would make the two stores answer differently; the sample
// bounds the work and the answer's size whatever the range holds.
func (s *Store) RunStats(ctx context.Context, workspaceID string, p store.RunStatsParams) (*store.RunStats, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	// IDs carry their creation time (store.NewIDAt): bounding them keeps
	// the scan on the (workspace_id, id) index; created_at is exact.
	args := []any{workspaceID, store.IDFloor(p.Since.Add(-store.IDSlack)), store.IDFloor(p.Until.Add(store.IDSlack)), p.Since, p.Until}
	where := []string{"workspace_id = $1", "id >= $2", "id < $3", "created_at >= $4", "created_at < $5"}
	filter := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if p.Tool != "" {
		filter("tool_name =", p.Tool)
	}
	if p.AgentID != "" {
		filter("agent_id =", p.AgentID)
	}
	// date_bin is integer arithmetic on the timestamp; the bucket's number
	// is worked out below.
	bucket := fmt.Sprintf("date_bin('%d microseconds'::interval, created_at, $4::timestamptz)", p.Bucket.Microseconds())
	cond := strings.Join(where, " AND ")

	out := &store.RunStats{SampleRate: 1}
	rows, err := s.pool.Query(ctx, `SELECT `+bucket+`, tool_name, agent_id, outcome, count(*)::int FROM runs
		WHERE `+cond+` GROUP BY 1, 2, 3, 4`, args...)
	if err != nil {
		return nil, fmt.Errorf("run stats: %w", err)
	}
	finished := 0
	bucketOf := func(t time.Time) int { return int(t.Sub(p.Since) / p.Bucket) }
	for rows.Next() {
		var g store.RunStatsGroup
		var start time.Time
		if err := rows.Scan(&start, &g.Tool, &g.AgentID, &g.Outcome, &g.Count); err != nil {
			rows.Close()
			return nil, fmt.Errorf("run stats: %w", err)
		}
		g.Bucket = bucketOf(start)
		if g.Outcome != "" {
			finished += g.Count
		}
		out.Groups = append(out.Groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run stats: %w", err)
	}
	if finished == 0 {
		return out, nil
	}

	sampleMax := p.EffectiveSampleMax()
	threshold, rate := store.RunStatsSampleThreshold(finished, sampleMax)
	out.SampleRate = rate
	where = append(where, "outcome <> ''")
	if threshold != "" {
		filter(`substr(id, 35, 2) COLLATE "C" <`, threshold)
	}
	args = append(args, sampleMax)
	rows, err = s.pool.Query(ctx, `SELECT `+bucket+`, tool_name, agent_id, outcome, duration_ms FROM runs
		WHERE `+strings.Join(where, " AND ")+` LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("run stats sample: %w", err)
	}
	defer rows.Close()
	out.Samples = make([]store.RunStatsSample, 0, min(finished, sampleMax))
	for rows.Next() {
		var r store.RunStatsSample
		var start time.Time
		if err := rows.Scan(&start, &r.Tool, &r.AgentID, &r.Outcome, &r.DurationMS); err != nil {
			return nil, fmt.Errorf("run stats sample: %w", err)
		}
		r.Bucket = bucketOf(start)
		out.Samples = append(out.Samples, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run stats sample: %w", err)
	}
	return out, nil
}

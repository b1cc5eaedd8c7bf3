package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/toolgate/toolgate/store"
)

// RunStats aggregates the workspace's runs created in [p.Since, p.Until):
// exact counts per bucket, tool, agent and outcome, and the durations of a
// bounded uniform sample of the finished runs (see store.RunStatsStore).
func (s *Store) RunStats(ctx context.Context, workspaceID string, p store.RunStatsParams) (*store.RunStats, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	// IDs carry their creation time (store.NewIDAt): bounding them keeps
	// the scan on the (workspace_id, id) index; created_at is exact.
	where := []string{"workspace_id = ?", "id >= ?", "id < ?", "created_at >= ?", "created_at < ?"}
	args := []any{workspaceID, store.IDFloor(p.Since.Add(-store.IDSlack)), store.IDFloor(p.Until.Add(store.IDSlack)),
		micros(p.Since), micros(p.Until)}
	if p.Tool != "" {
		where = append(where, "tool_name = ?")
		args = append(args, p.Tool)
	}
	if p.AgentID != "" {
		where = append(where, "agent_id = ?")
		args = append(args, p.AgentID)
	}
	bucket := fmt.Sprintf("(created_at - %d) / %d", micros(p.Since), p.Bucket.Microseconds())
	cond := strings.Join(where, " AND ")

	out := &store.RunStats{SampleRate: 1}
	rows, err := s.read.QueryContext(ctx, `SELECT `+bucket+`, tool_name, agent_id, outcome, count(*) FROM runs
		WHERE `+cond+` GROUP BY 1, 2, 3, 4`, args...)
	if err != nil {
		return nil, fmt.Errorf("run stats: %w", err)
	}
	finished := 0
	for rows.Next() {
		var g store.RunStatsGroup
		if err := rows.Scan(&g.Bucket, &g.Tool, &g.AgentID, &g.Outcome, &g.Count); err != nil {
			rows.Close()
			return nil, fmt.Errorf("run stats: %w", err)
		}
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
	sampleCond := cond + " AND outcome != ''"
	if threshold != "" {
		sampleCond += " AND substr(id, 35, 2) < ?"
		args = append(args, threshold)
	}
	args = append(args, sampleMax)
	rows, err = s.read.QueryContext(ctx, `SELECT `+bucket+`, tool_name, agent_id, outcome, duration_ms FROM runs
		WHERE `+sampleCond+` LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("run stats sample: %w", err)
	}
	defer rows.Close()
	out.Samples = make([]store.RunStatsSample, 0, min(finished, sampleMax))
	for rows.Next() {
		var r store.RunStatsSample
		if err := rows.Scan(&r.Bucket, &r.Tool, &r.AgentID, &r.Outcome, &r.DurationMS); err != nil {
			return nil, fmt.Errorf("run stats sample: %w", err)
		}
		out.Samples = append(out.Samples, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run stats sample: %w", err)
	}
	return out, nil
}

package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

// statsRun returns an unsaved run created at baseTime+d whose ID carries
// that time, as the recorder makes them.
func statsRun(workspaceID string, d time.Duration, tool, agent, outcome string, durationMS float64) *store.Run {
	created := at(d)
	r := &store.Run{ID: store.NewIDAt(created), WorkspaceID: workspaceID, ToolName: tool, AgentID: agent,
		Outcome: outcome, Status: store.RunStatusSucceeded, DurationMS: durationMS, CreatedAt: created}
	if outcome == "" {
		r.Status = store.RunStatusQueued
	}
	return r
}

func sortStats(st *store.RunStats) {
	slices.SortFunc(st.Groups, func(a, b store.RunStatsGroup) int {
		return cmp.Or(cmp.Compare(a.Bucket, b.Bucket), cmp.Compare(a.Tool, b.Tool), cmp.Compare(a.AgentID, b.AgentID), cmp.Compare(a.Outcome, b.Outcome))
	})
	slices.SortFunc(st.Samples, func(a, b store.RunStatsSample) int {
		return cmp.Or(cmp.Compare(a.Bucket, b.Bucket), cmp.Compare(a.Tool, b.Tool), cmp.Compare(a.AgentID, b.AgentID),
			cmp.Compare(a.Outcome, b.Outcome), cmp.Compare(a.DurationMS, b.DurationMS))
	})
}

func testRunStats(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "other")
	const minute = time.Minute
	since, until := at(0), at(3*minute)

	inRange := []*store.Run{
		statsRun(ws.ID, 0, "search", "a1", "success", 10),                          // the first instant is in
		statsRun(ws.ID, 30*time.Second, "search", "a1", "success", 20),             // bucket 0
		statsRun(ws.ID, 59*time.Second, "search", "a2", "client_error", 5),         // bucket 0
		statsRun(ws.ID, minute, "weather", "a1", "success", 100),                   // bucket 1
		statsRun(ws.ID, minute+time.Millisecond, "weather", "a1", "timeout", 9000), // bucket 1
		statsRun(ws.ID, 2*minute+time.Second, "search", "a2", "", 0),               // bucket 2, not finished
		statsRun(ws.ID, 3*minute-time.Millisecond, "search", "a1", "success", 30),  // bucket 2, last instant
	}
	// An ID whose time is off from its creation time within store.IDSlack
	// still counts by its creation time.
	skewed := statsRun(ws.ID, 2*minute, "search", "a1", "success", 40)
	skewed.ID = store.NewIDAt(at(2*minute - 800*time.Millisecond))
	inRange = append(inRange, skewed)
	outside := []*store.Run{
		statsRun(ws.ID, -time.Millisecond, "search", "a1", "success", 1),
		statsRun(ws.ID, 3*minute, "search", "a1", "success", 1), // Until is exclusive
		statsRun(other.ID, minute, "search", "a1", "success", 1),
	}
	mustInsertRuns(t, s, append(slices.Clone(inRange), outside...)...)

	got, err := s.RunStats(ctx, ws.ID, store.RunStatsParams{Since: since, Until: until, Bucket: minute})
	if err != nil {
		t.Fatalf("RunStats: %v", err)
	}
	sortStats(got)
	want := &store.RunStats{
		Groups: []store.RunStatsGroup{
			{Bucket: 0, Tool: "search", AgentID: "a1", Outcome: "success", Count: 2},
			{Bucket: 0, Tool: "search", AgentID: "a2", Outcome: "client_error", Count: 1},
			{Bucket: 1, Tool: "weather", AgentID: "a1", Outcome: "success", Count: 1},
			{Bucket: 1, Tool: "weather", AgentID: "a1", Outcome: "timeout", Count: 1},
			{Bucket: 2, Tool: "search", AgentID: "a1", Outcome: "success", Count: 2},
			{Bucket: 2, Tool: "search", AgentID: "a2", Outcome: "", Count: 1},
		},
		Samples: []store.RunStatsSample{
			{Bucket: 0, Tool: "search", AgentID: "a1", Outcome: "success", DurationMS: 10},
			{Bucket: 0, Tool: "search", AgentID: "a1", Outcome: "success", DurationMS: 20},
			{Bucket: 0, Tool: "search", AgentID: "a2", Outcome: "client_error", DurationMS: 5},
			{Bucket: 1, Tool: "weather", AgentID: "a1", Outcome: "success", DurationMS: 100},
			{Bucket: 1, Tool: "weather", AgentID: "a1", Outcome: "timeout", DurationMS: 9000},
			{Bucket: 2, Tool: "search", AgentID: "a1", Outcome: "success", DurationMS: 30},
			{Bucket: 2, Tool: "search", AgentID: "a1", Outcome: "success", DurationMS: 40},
		},
		SampleRate: 1,
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("RunStats mismatch (-want +got):\n%s", diff)
	}

	// Filters by tool and by agent.
	filters := []struct {
		name       string
		tool       string
		agent      string
		wantGroups int
		wantRuns   int
	}{
		{"tool", "weather", "", 2, 2},
		{"agent", "", "a2", 2, 2},
		{"tool and agent", "search", "a1", 2, 4},
		{"nothing", "nope", "", 0, 0},
	}
	for _, f := range filters {
		st, err := s.RunStats(ctx, ws.ID, store.RunStatsParams{Since: since, Until: until, Bucket: minute, Tool: f.tool, AgentID: f.agent})
		if err != nil {
			t.Fatalf("RunStats(%s): %v", f.name, err)
		}
		runs := 0
		for _, g := range st.Groups {
			runs += g.Count
			if f.tool != "" && g.Tool != f.tool || f.agent != "" && g.AgentID != f.agent {
				t.Errorf("RunStats(%s): group %+v does not match the filter", f.name, g)
			}
		}
		if len(st.Groups) != f.wantGroups || runs != f.wantRuns {
			t.Errorf("RunStats(%s): %d groups of %d runs, want %d of %d", f.name, len(st.Groups), runs, f.wantGroups, f.wantRuns)
		}
	}

	// Another workspace sees only its own run.
	st, err := s.RunStats(ctx, other.ID, store.RunStatsParams{Since: since, Until: until, Bucket: minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Groups) != 1 || st.Groups[0].Count != 1 || len(st.Samples) != 1 {
		t.Errorf("other workspace: %+v, want its one run", st)
	}

	for _, bad := range []store.RunStatsParams{
		{Since: since, Until: until},
		{Since: until, Until: since, Bucket: minute},
		{Until: until, Bucket: minute},
		{Since: since, Until: since.Add(24 * time.Hour), Bucket: time.Second},
	} {
		if _, err := s.RunStats(ctx, ws.ID, bad); err == nil {
			t.Errorf("RunStats(%+v): no error", bad)
		}
	}
}

// testRunStatsSample: past SampleMax finished runs, the durations are a
// bounded sample, the same on every call, and the counts stay exact.
func testRunStatsSample(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	const n = 2000
	runs := make([]*store.Run, 0, n)
	for i := range n {
		runs = append(runs, statsRun(ws.ID, time.Duration(i)*time.Second, fmt.Sprintf("tool_%d", i%3), "a1", "success", float64(i)))
	}
	mustInsertRuns(t, s, runs...)
	p := store.RunStatsParams{Since: at(0), Until: at(n * time.Second), Bucket: 10 * time.Minute, SampleMax: 200}
	first, err := s.RunStats(ctx, ws.ID, p)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, g := range first.Groups {
		total += g.Count
	}
	if total != n {
		t.Errorf("counted %d runs, want %d", total, n)
	}
	if first.SampleRate >= 1 || first.SampleRate <= 0 {
		t.Errorf("sample rate %v, want a fraction", first.SampleRate)
	}
	// 25/256 of 2,000 is about 195 (standard deviation 13).
	if len(first.Samples) < 120 || len(first.Samples) > 200 {
		t.Errorf("%d samples, want about 195 and at most 200", len(first.Samples))
	}
	again, err := s.RunStats(ctx, ws.ID, p)
	if err != nil {
		t.Fatal(err)
	}
	sortStats(first)
	sortStats(again)
	if diff := gocmp.Diff(first, again); diff != "" {
		t.Errorf("a second call sampled other runs (-first +second):\n%s", diff)
	}
}

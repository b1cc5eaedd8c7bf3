package gateway_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
)

// testUIDashboard stores runs at known times and durations and reads the
// dashboard: its totals, percentiles, outcome mix, tables and the link from
// a bar of the chart to the runs behind it.
func testUIDashboard(t *testing.T, e *env) {
	ctx := context.Background()
	ws, err := e.store.WorkspaceGetByName(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	alphaAgent, _ := e.agentWithKey("alpha-bot")
	betaAgent, _ := e.agentWithKey("beta-bot")
	now := time.Now().UTC()
	run := func(created time.Time, tool, agent, outcome string, ms float64) *store.Run {
		return &store.Run{ID: store.NewIDAt(created), WorkspaceID: ws.ID, ToolName: tool, AgentID: agent, Status: "succeeded",
			Outcome: outcome, DurationMS: ms, CreatedAt: created}
	}
	var runs []*store.Run
	// alpha: ten successes of 10..100 ms, ten minutes ago (one minute's bucket).
	alphaAt := now.Add(-10 * time.Minute).Truncate(time.Minute).Add(5 * time.Second)
	var alphaIDs []string
	for i := range 10 {
		r := run(alphaAt.Add(time.Duration(i)*time.Second), "alpha", alphaAgent, "success", float64(10*(i+1)))
		alphaIDs = append(alphaIDs, r.ID)
		runs = append(runs, r)
	}
	// beta: three client errors of 200, 300 and 400 ms and two invalid
	// calls (which never reach the upstream: no latency).
	betaAt := now.Add(-5 * time.Minute)
	for i, ms := range []float64{200, 300, 400} {
		runs = append(runs, run(betaAt.Add(time.Duration(i)*time.Second), "beta", betaAgent, "client_error", ms))
	}
	runs = append(runs, run(betaAt, "beta", betaAgent, "invalid_arguments", 0), run(betaAt, "beta", betaAgent, "invalid_arguments", 0))
	// Outside the hour, inside the day; and outside both.
	runs = append(runs, run(now.Add(-2*time.Hour), "alpha", alphaAgent, "server_error", 5000), run(now.Add(-50*time.Hour), "alpha", alphaAgent, "success", 1))
	if err := e.store.RunInsertBatch(ctx, runs); err != nil {
		t.Fatal(err)
	}

	b := e.signedIn()
	page := b.mustGet("/ui/dashboard")
	text := func(id string) string {
		m := regexp.MustCompile(`id="` + id + `">(?:<a [^>]*>)?([^<]*)`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("dashboard lacks #%s", id)
		}
		return m[1]
	}
	// Nearest rank over 10..100, 200, 300, 400 ms: p50 is the 7th, p95 the 13th.
	for id, want := range map[string]string{"stat-calls": "15", "stat-p50": "70 ms", "stat-p95": "400 ms"} {
		if got := text(id); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	for _, want := range []string{"success 10 (66.7%)", "client_error 3 (20.0%)", "invalid_arguments 2 (13.3%)"} {
		if !strings.Contains(page, want) {
			t.Errorf("outcome mix lacks %q", want)
		}
	}
	for _, want := range []string{`data-key="alpha"`, `data-key="beta"`, "alpha-bot", "beta-bot", `id="calls-chart"`, `id="latency-chart"`, "<polyline"} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}

	// The bar of alpha's minute links to exactly its runs.
	minute := alphaAt.Truncate(time.Minute)
	href := fmt.Sprintf(`/ui/runs?since=%s&amp;until=%s`, strings.ReplaceAll(minute.Format("2006-01-02T15:04"), ":", "%3A"),
		strings.ReplaceAll(minute.Add(time.Minute).Format("2006-01-02T15:04"), ":", "%3A"))
	if !strings.Contains(page, `<a href="`+href+`" class="bar"><title>`+minute.Format("15:04")) {
		t.Fatalf("calls chart has no bar linking to %s", href)
	}
	list := b.mustGet(html.UnescapeString(href))
	for _, id := range alphaIDs {
		if !strings.Contains(list, id) {
			t.Errorf("runs behind the bar lack %s", id)
		}
	}
	if n := strings.Count(list, `class="run-row"`); n != 10 {
		t.Errorf("runs behind the bar: %d rows, want 10", n)
	}

	// The day window, filters and a bad window.
	cases := []struct {
		path string
		want string
	}{
		{"/ui/dashboard?window=day", "16"},
		{"/ui/dashboard?tool=beta", "5"},
		{"/ui/dashboard?agent=" + alphaAgent, "10"},
		{"/ui/dashboard?window=day&tool=alpha&agent=" + alphaAgent, "11"},
	}
	for _, c := range cases {
		page = b.mustGet(c.path)
		if got := text("stat-calls"); got != c.want {
			t.Errorf("%s: %s calls, want %s", c.path, got, c.want)
		}
	}
	if p := b.get("/ui/dashboard?window=year"); p.status != http.StatusBadRequest {
		t.Errorf("unknown window: %d, want 400", p.status)
	}
}

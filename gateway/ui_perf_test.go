package gateway_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// uiPerfRuns is how many runs the page-time test stores, one every
// uiPerfSpacing up to now (100,000 cover the last week, 14,400 of them the
// last day). TOOLGATE_UI_PERF_RUNS stores another number at the same
// spacing ending now, for a measurement at 1,000,000 runs (1,000,000 at
// 0.6 s puts 144,000 in the last day).
var uiPerfRuns, uiPerfSpacing = uiPerfScale()

func uiPerfScale() (int, time.Duration) {
	n, err := strconv.Atoi(os.Getenv("TOOLGATE_UI_PERF_RUNS"))
	if err != nil || n <= 0 {
		return 100_000, 6 * time.Second
	}
	spacing := 6 * time.Second
	if s, err := time.ParseDuration(os.Getenv("TOOLGATE_UI_PERF_SPACING")); err == nil && s > 0 {
		spacing = s
	}
	return n, spacing
}

// uiPageBudget is the server time a console page may take with
// uiPerfRuns runs in the store. The dashboard reads every run of its
// window (14,400 in the last day here, where a runs page reads 50), and
// has uiDashboardBudget.
const (
	uiPageBudget      = 100 * time.Millisecond
	uiDashboardBudget = 250 * time.Millisecond
)

// TestUIPageTime stores 100,000 runs and measures the server time of the
// runs pages (list, filters, paging, one run, a conversation) and of the
// dashboard (last hour and day, by tool and agent): each must
// render in under 100 ms (the dashboard 250 ms; the median of several
// requests). It does not run
// under the race detector, which slows the pure-Go SQLite driver tens of
// times (storing the runs alone takes minutes): run it with
// `go test -run TestUIPageTime ./gateway/`.
func TestUIPageTime(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 100,000 runs")
	}
	if raceEnabled {
		t.Skip("page times are measured without the race detector: go test -run TestUIPageTime ./gateway/")
	}
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		e := newEnv(t, newStore)
		ctx := context.Background()
		ws, err := e.store.WorkspaceGetByName(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		agents := make([]string, 5)
		for i := range agents {
			agents[i], _ = e.agentWithKey(fmt.Sprintf("agent-%d", i))
		}

		start := time.Now()
		runs := make([]*store.Run, 0, 5000)
		base := time.Now().Add(-time.Duration(uiPerfRuns) * uiPerfSpacing).UTC()
		var middle *store.Run
		outcome := func(i int) (string, int) {
			switch {
			case i%100 == 7:
				return "server_error", 503
			case i%20 == 3:
				return "client_error", 404
			case i%50 == 11:
				return "invalid_arguments", 0
			}
			return "success", 200
		}
		for i := range uiPerfRuns {
			oc, code := outcome(i)
			created := base.Add(time.Duration(i) * uiPerfSpacing)
			finished := created.Add(40 * time.Millisecond)
			args, _ := json.Marshal(map[string]any{"order_id": fmt.Sprintf("A-%d", i)})
			r := &store.Run{
				ID: idAt(created), WorkspaceID: ws.ID, ToolID: fmt.Sprintf("tool-%d", i%10), ToolName: fmt.Sprintf("tool_%d", i%10),
				ToolVersion: 1, AgentID: agents[i%len(agents)], ConversationID: fmt.Sprintf("conv-%d", i/10),
				Status: "succeeded", Outcome: oc, StatusCode: code, DurationMS: float64(20 + i%9*15),
				Context:   json.RawMessage(`{"conversation_id":"conv-` + fmt.Sprint(i/10) + `","user_id":"u-1"}`),
				Arguments: args,
				Request:   json.RawMessage(`{"method":"GET","url":"https://api.example.com/orders/A-` + fmt.Sprint(i) + `","headers":{"Authorization":["[REDACTED]"],"X-Toolgate-Run-Id":["x"]}}`),
				Response:  json.RawMessage(`{"status_code":200,"headers":{"Content-Type":["application/json"]},"body":"{\"status\":\"shipped\",\"eta\":\"tomorrow\"}","truncated":false}`),
				Result:    json.RawMessage(`{"status":"shipped","eta":"tomorrow"}`),
				Timings:   json.RawMessage(`{"dns_ms":1.2,"connect_ms":3.4,"tls_ms":8.1,"ttfb_ms":30.5,"total_ms":39.9}`),
				Attempts:  json.RawMessage(`[]`), CreatedAt: created, FinishedAt: &finished,
			}
			if oc != "success" {
				r.Status = "failed"
			}
			if i == uiPerfRuns/2 {
				middle = r
			}
			runs = append(runs, r)
			if len(runs) == cap(runs) {
				if err := e.store.RunInsertBatch(ctx, runs); err != nil {
					t.Fatal(err)
				}
				runs = runs[:0]
			}
		}
		if err := e.store.RunInsertBatch(ctx, runs); err != nil {
			t.Fatal(err)
		}
		t.Logf("stored %d runs in %v", uiPerfRuns, time.Since(start).Round(time.Millisecond))

		b := e.signedIn()
		cookie := &http.Cookie{Name: "toolgate_session", Value: jarSession(t, b)}
		mid := middle.CreatedAt
		window := url.Values{"since": {mid.Add(-time.Hour).Format(time.RFC3339)}, "until": {mid.Format(time.RFC3339)}}
		cursor := url.Values{"cursor": {b64(middle.ID)}}
		pages := []string{
			"/ui/runs",
			"/ui/runs-rows",
			"/ui/runs?tool=tool_3",
			"/ui/runs?agent=" + agents[2],
			"/ui/runs?outcome=server_error",
			"/ui/runs?status=failed",
			"/ui/runs?tool=tool_3&outcome=server_error",
			"/ui/runs?conversation=conv-4242",
			"/ui/runs?" + window.Encode(),
			"/ui/runs?outcome=server_error&" + window.Encode(),
			"/ui/runs?" + url.Values{"since": {base.Add(24 * time.Hour).Format(time.RFC3339)}}.Encode(),
			"/ui/runs?" + url.Values{"until": {base.Add(24 * time.Hour).Format(time.RFC3339)}}.Encode(),
			"/ui/runs?" + cursor.Encode(),
			"/ui/runs/" + middle.ID,
			"/ui/conversations/conv-4242",
			"/ui/dashboard",
			"/ui/dashboard?window=day",
			"/ui/dashboard?window=day&tool=tool_3",
			"/ui/dashboard?window=day&agent=" + agents[2],
		}
		handler := e.server.Config.Handler
		for _, path := range pages {
			var times []time.Duration
			for range 7 {
				req := httptest.NewRequest("GET", path, nil)
				req.AddCookie(cookie)
				rec := httptest.NewRecorder()
				began := time.Now()
				handler.ServeHTTP(rec, req)
				times = append(times, time.Since(began))
				if rec.Code != http.StatusOK {
					t.Fatalf("GET %s: %d: %.300s", path, rec.Code, rec.Body.String())
				}
			}
			slices.Sort(times)
			median := times[len(times)/2]
			t.Logf("%-70s median %7.2f ms  max %7.2f ms", path, ms(median), ms(times[len(times)-1]))
			budget := uiPageBudget
			if strings.HasPrefix(path, "/ui/dashboard") {
				budget = uiDashboardBudget
			}
			if median > budget {
				t.Errorf("GET %s: median server time %v, want under %v", path, median, budget)
			}
		}
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// idAt returns a UUIDv7 whose timestamp is t, as a run created at t has.
func idAt(t time.Time) string {
	return store.NewIDAt(t)
}

// b64 encodes a run ID as a list cursor.
func b64(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

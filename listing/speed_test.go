package listing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/app"
	"github.com/toolgate/toolgate/listing/listingtest"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
)

var speedTools = flag.String("listing.tools", "",
	"comma-separated tool counts TestListingSpeed measures (e.g. 1000,10000); without it, it checks 40 tools and reports nothing")

// speedSamples is how many cached listings (and answers of the plain
// handler) TestListingSpeed times; the median is reported.
const speedSamples = 21

// TestListingSpeed publishes tools through the admin use case into a
// SQLite store and times GET /v1/tools?format=openai through the real HTTP
// handler: the first listing after publishing, the cached listing, and the
// first listing after a restart (nothing cached in memory). The baseline is
// a plain handler writing the same bytes over the same client, timed in
// alternation with the cached listing. Every answer must be the same
// bytes. Run it with
//
//	go test ./listing -run TestListingSpeed -listing.tools=1000,10000 -v
func TestListingSpeed(t *testing.T) {
	counts := []int{40}
	if *speedTools != "" {
		counts = nil
		for _, s := range strings.Split(*speedTools, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				t.Fatalf("-listing.tools: %q is not a count", s)
			}
			counts = append(counts, n)
		}
	}
	for _, n := range counts {
		t.Run(fmt.Sprintf("tools=%d", n), func(t *testing.T) { listingSpeed(t, n) })
	}
}

func listingSpeed(t *testing.T, n int) {
	ctx := context.Background()
	st := testdb.SQLite(t)
	box, err := secrets.NewBox(bytes.Repeat([]byte{42}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := tenant.Create(ctx, st, box, "default")
	if err != nil {
		t.Fatal(err)
	}
	gw := startApp(t, st, box)
	start := time.Now()
	in := &admin.AgentInput{Name: "speed-bot"}
	defs := listingtest.ToolDefinitions()
	for i := range n {
		def := maps.Clone(defs[i%len(defs)])
		def["name"] = fmt.Sprintf("%s_%d", def["name"], i)
		raw, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		tool, err := gw.app.Admin.Tools.Create(ctx, ws.ID, raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := gw.app.Admin.Tools.Publish(ctx, ws.ID, tool.ID); err != nil {
			t.Fatal(err)
		}
		in.Tools = append(in.Tools, store.AgentTool{Name: tool.Name})
	}
	published := time.Since(start)
	agent, err := gw.app.Admin.Agents.Create(ctx, ws.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gw.app.Admin.Keys.Create(ctx, ws.ID, &admin.KeyInput{Name: "speed key", Role: store.RoleAgent, AgentID: agent.ID})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	get := func(url string) (time.Duration, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+k.Plaintext)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		took := time.Since(t0)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s: %.300s", url, resp.Status, body)
		}
		return took, body
	}
	const path = "/v1/tools?format=openai"
	first, body := get(gw.server.URL + path)
	var listed struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(body, &listed); err != nil || len(listed.Tools) != n {
		t.Fatalf("first listing: %d tools (%v), want %d", len(listed.Tools), err, n)
	}
	static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	}))
	defer static.Close()
	var cached, served []time.Duration
	for range speedSamples {
		took, again := get(gw.server.URL + path)
		if !bytes.Equal(again, body) {
			t.Fatalf("cached listing differs from the first:\n%.300s\nwant\n%.300s", again, body)
		}
		cached = append(cached, took)
		took, _ = get(static.URL)
		served = append(served, took)
	}
	gw.stop()
	gw = startApp(t, st, box)
	afterRestart, again := get(gw.server.URL + path)
	if !bytes.Equal(again, body) {
		t.Fatalf("listing after a restart differs from the first:\n%.300s\nwant\n%.300s", again, body)
	}
	median := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	c, s := median(cached), median(served)
	t.Logf("%d tools published in %s; listing %d KiB", n, published.Round(time.Millisecond), len(body)>>10)
	t.Logf("first listing %s, first after a restart %s, cached %s (median of %d), plain handler %s: cached %.2fx the plain handler",
		ms(first), ms(afterRestart), ms(c), speedSamples, ms(s), float64(c)/float64(s))
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// speedApp is a running gateway over a store.
type speedApp struct {
	app     *app.App
	server  *httptest.Server
	stopped bool
}

func startApp(t *testing.T, st store.Store, box *secrets.Box) *speedApp {
	t.Helper()
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{Store: st, Box: box, WithoutQueue: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	gw := &speedApp{app: a, server: httptest.NewServer(a.Handler())}
	t.Cleanup(gw.stop)
	return gw
}

func (gw *speedApp) stop() {
	if gw.stopped {
		return
	}
	gw.stopped = true
	gw.server.Close()
	_ = gw.app.Stop(context.Background())
}

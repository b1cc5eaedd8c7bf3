package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/testdb"
)

// roundRobin is a reverse proxy that sends each request to the next
// replica, with no stickiness, and remembers which replica took each GET.
type roundRobin struct {
	*httptest.Server
	next atomic.Int64

	mu   sync.Mutex
	gets []int // replica index of each GET, in order
	hits [2]int
}

func newRoundRobin(t *testing.T, replicas ...*env) *roundRobin {
	rr := &roundRobin{}
	var proxies []*httputil.ReverseProxy
	for _, r := range replicas {
		target, err := url.Parse(r.server.URL)
		if err != nil {
			t.Fatal(err)
		}
		proxies = append(proxies, &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }, FlushInterval: -1})
	}
	rr.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(rr.next.Add(1)) % len(proxies)
		rr.mu.Lock()
		rr.hits[i]++
		if r.Method == http.MethodGet {
			rr.gets = append(rr.gets, i)
		}
		rr.mu.Unlock()
		proxies[i].ServeHTTP(w, r)
	}))
	t.Cleanup(rr.Close)
	return rr
}

// getReplica is the replica that took the first GET.
func (rr *roundRobin) getReplica(t *testing.T) int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if len(rr.gets) == 0 {
		t.Fatal("no GET stream went through the proxy")
	}
	return rr.gets[0]
}

// TestMCPReplicas runs two gateways on one PostgreSQL database behind a
// round-robin proxy: an MCP session works whichever replica takes each
// request, and a change made through one replica reaches a client whose
// stream the other holds.
func TestMCPReplicas(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	open := func(tb testing.TB) store.Store {
		st, err := postgres.Open(context.Background(), dbURL)
		if err != nil {
			tb.Fatalf("opening PostgreSQL store: %v", err)
		}
		tb.Cleanup(func() { st.Close() })
		return st
	}
	a := newEnv(t, open, envOptions{background: true})
	b := a.replica(open(t))
	replicas := []*env{a, b}
	rr := newRoundRobin(t, a, b)

	up := newUpstream(t, nil)
	a.publishTool(map[string]any{"name": "ping", "description": "Check the service.", "url": up.URL + "/ping"})
	a.publishTool(map[string]any{"name": "note", "description": "Save a note.", "method": "POST", "url": up.URL + "/notes", "background": true})
	agentID, key := a.agentWithKey("bot", "ping", "note")

	changed := make(chan struct{}, 16)
	client := mcp.NewClient(&mcp.Implementation{Name: "replicas", Version: "1"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} }})
	bearer := &bearerTransport{key: key, base: rr.Client().Transport, sseOpen: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: rr.URL + "/mcp",
		HTTPClient: &http.Client{Transport: bearer}, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatalf("connecting through the round-robin proxy: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	select {
	case <-bearer.sseOpen:
	case <-ctx.Done():
		t.Fatal("the GET stream did not open")
	}

	t.Run("requests alternate between replicas", func(t *testing.T) {
		for i := range 6 {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "ping", Arguments: map[string]any{}})
			if err != nil || res.IsError {
				t.Fatalf("call %d: %v %+v", i, err, res)
			}
		}
		rr.mu.Lock()
		hits := rr.hits
		rr.mu.Unlock()
		if hits[0] < 3 || hits[1] < 3 {
			t.Errorf("requests per replica = %v, want both used", hits)
		}
	})

	t.Run("list_changed reaches the stream on the other replica", func(t *testing.T) {
		other := replicas[1-rr.getReplica(t)]
		other.publishTool(map[string]any{"name": "lookup", "description": "Look something up.", "url": up.URL + "/lookup"})
		start := time.Now()
		other.must(200, "PATCH", "/v1/admin/agents/"+agentID, other.admin,
			map[string]any{"tools": []map[string]any{{"name": "ping"}, {"name": "note"}, {"name": "lookup"}}})
		select {
		case <-changed:
			t.Logf("list_changed crossed replicas in %v", time.Since(start))
		case <-time.After(10 * time.Second):
			t.Fatal("no notifications/tools/list_changed from the replica holding the stream")
		}
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tool := range res.Tools {
			names = append(names, tool.Name)
		}
		if diff := cmp.Diff([]string{"lookup", "note", "ping"}, slices.Sorted(slices.Values(names))); diff != "" {
			t.Errorf("tools (-want +got):\n%s", diff)
		}
	})

	t.Run("tasks on either replica", func(t *testing.T) {
		m := mcpRawAt(t, rr.URL+"/mcp", rr.Client(), key)
		created := m.call("tools/call", map[string]any{"name": "note", "arguments": map[string]any{}, "task": map[string]any{}}).mustResult(t, "task")
		id := created["task"].(map[string]any)["taskId"].(string)
		m.call("tasks/result", map[string]any{"taskId": id}).mustResult(t, "tasks/result")
		for range 2 { // one on each replica
			if got := m.call("tasks/get", map[string]any{"taskId": id}).mustResult(t, "tasks/get"); got["status"] != "completed" {
				t.Errorf("tasks/get = %v", got)
			}
		}
	})

	t.Run("DELETE on one replica ends the session and its stream on the other", func(t *testing.T) {
		onA := mcpRawAt(t, a.server.URL+"/mcp", a.server.Client(), key)
		onB := &mcpRaw{t: t, url: b.server.URL + "/mcp", client: b.server.Client(), key: key, session: onA.session, version: onA.version}
		onB.call("ping", nil).mustResult(t, "ping on the other replica")

		req, _ := http.NewRequest("GET", a.server.URL+"/mcp", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Mcp-Session-Id", onA.session)
		resp, err := a.server.Client().Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET stream: %v %v", err, resp)
		}
		ended := make(chan struct{})
		go func() {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			close(ended)
		}()
		if r := onB.send("DELETE", ""); r.status != http.StatusNoContent {
			t.Fatalf("DELETE on the other replica: %s", r)
		}
		if r := onA.call("ping", nil); r.status != http.StatusNotFound {
			t.Errorf("ping after DELETE elsewhere: %s, want 404", r)
		}
		select {
		case <-ended:
		case <-time.After(10 * time.Second):
			t.Error("the stream on the other replica stayed open after DELETE")
		}
	})

	t.Run("another key's session is not found on either replica", func(t *testing.T) {
		_, otherKey := a.agentWithKey("other")
		m := mcpRawAt(t, rr.URL+"/mcp", rr.Client(), key)
		for range 2 {
			stolen := &mcpRaw{t: t, url: rr.URL + "/mcp", client: rr.Client(), key: otherKey, session: m.session, version: m.version}
			if r := stolen.call("ping", nil); r.status != http.StatusNotFound {
				t.Errorf("another key on the session: %s, want 404", r)
			}
		}
	})
}

package main_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/oauth/oauthtest"
	"github.com/toolgate/toolgate/store/testdb"
)

// roundRobin is a plain load balancer: each request goes to the next
// replica that is up, with no stickiness.
type roundRobin struct {
	*httptest.Server
	next    atomic.Uint64
	proxies []*httputil.ReverseProxy
	down    []atomic.Bool
}

func newRoundRobin(t *testing.T, backends ...string) *roundRobin {
	rr := &roundRobin{down: make([]atomic.Bool, len(backends))}
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		p := httputil.NewSingleHostReverseProxy(u)
		p.FlushInterval = -1 // stream MCP's server-sent events at once
		rr.proxies = append(rr.proxies, p)
	}
	rr.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range len(rr.proxies) {
			i := int(rr.next.Add(1)-1) % len(rr.proxies)
			if !rr.down[i].Load() {
				rr.proxies[i].ServeHTTP(w, r)
				return
			}
		}
		http.Error(w, "no replica is up", http.StatusBadGateway)
	}))
	t.Cleanup(rr.Close)
	return rr
}

// bearer adds an agent key to every request of an HTTP client.
type bearer struct {
	key  string
	base http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.base.RoundTrip(r)
}

// TestScaleOut is the proof of "N stateless replicas on one PostgreSQL":
// two toolgate processes on one database behind a round-robin balancer with
// no stickiness. An MCP client's session alternates between them and hears
// of a tool published through the other; REST calls share one OAuth token;
// a key revoked on one is refused by the other at once; one
// Idempotency-Key sent to both at once runs once; background runs survive
// one replica being killed.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two real binaries")
	}
	dsn := testdb.PostgresURL(t)
	var counts sync.Map // path → *atomic.Int64
	hit := func(path string) int64 {
		v, _ := counts.LoadOrStore(path, new(atomic.Int64))
		return v.(*atomic.Int64).Load()
	}
	var leadsMu sync.Mutex
	leads := map[string]int{} // run id → deliveries
	leadSeen := make(chan struct{}, 1024)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := counts.LoadOrStore(r.URL.Path, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
		if r.URL.Path == "/leads" {
			leadsMu.Lock()
			leads[r.Header.Get("X-Toolgate-Run-Id")]++
			leadsMu.Unlock()
			leadSeen <- struct{}{}
			select { // a slow CRM
			case <-time.After(200 * time.Millisecond):
			case <-r.Context().Done():
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer upstream.Close()
	as := oauthtest.New(t, oauthtest.Options{})

	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	env := []string{
		"TOOLGATE_ADDR=127.0.0.1:0",
		"TOOLGATE_DATABASE_URL=" + dsn,
		"TOOLGATE_SECRET_KEY=" + base64.StdEncoding.EncodeToString(secret),
		"TOOLGATE_ADMIN_KEY=" + adminKey,
		"TOOLGATE_ALLOW_NETWORKS=127.0.0.0/8",
		"TOOLGATE_WORKERS=8",
		"TOOLGATE_JOB_RESCUE_AFTER=3s",
	}
	bin := binary(t)
	a, b := start(t, bin, env...), start(t, bin, env...)
	defer func() { a.cmd.Process.Kill(); a.cmd.Wait() }()
	defer func() { b.cmd.Process.Kill(); b.cmd.Wait() }()
	lb := newRoundRobin(t, a.url, b.url)
	front := &gateway{url: lb.URL}

	mustAPI := func(g *gateway, want int, method, path, key string, body any) map[string]any {
		t.Helper()
		st, out := g.api(t, method, path, key, body)
		if st != want {
			t.Fatalf("%s %s: %d %v, want %d", method, path, st, out, want)
		}
		return out
	}
	publish := func(def map[string]any) {
		t.Helper()
		tool := mustAPI(front, 201, "POST", "/v1/admin/tools", adminKey, def)
		mustAPI(front, 200, "POST", "/v1/admin/tools/"+tool["id"].(string)+"/publish", adminKey, nil)
	}
	mustAPI(front, 201, "POST", "/v1/admin/connections", adminKey, map[string]any{"name": "crm", "base_url": as.URL,
		"auth":    map[string]any{"type": "oauth2_client_credentials", "token_url": as.TokenURL, "client_id": oauthtest.ClientID},
		"secrets": map[string]any{"client_secret": oauthtest.ClientSecret}})
	empty := map[string]any{"type": "object"}
	publish(map[string]any{"name": "whoami", "description": "Ask the CRM who the gateway is.", "connection": "crm", "path": "/api/me", "input_schema": empty})
	publish(map[string]any{"name": "book", "description": "Book a callback for the caller.", "method": "POST", "url": upstream.URL + "/book", "input_schema": empty})
	publish(map[string]any{"name": "save_lead", "description": "Save the caller as a lead, in the background.", "method": "POST",
		"url": upstream.URL + "/leads", "background": true, "timeout_ms": 2000, "input_schema": empty})
	agent := mustAPI(front, 201, "POST", "/v1/admin/agents", adminKey, map[string]any{"name": "bot",
		"tools": []any{map[string]any{"name": "whoami"}, map[string]any{"name": "book"}, map[string]any{"name": "save_lead"}}})
	agentID := agent["id"].(string)
	key := mustAPI(front, 201, "POST", "/v1/admin/keys", adminKey, map[string]any{"name": "k", "role": "agent", "agent_id": agentID})["key"].(string)
	call := func(g *gateway, tool string) (int, map[string]any) {
		return g.api(t, "POST", "/v1/tools/"+tool+"/call", key, map[string]any{"arguments": map[string]any{}})
	}

	t.Run("mcp session across replicas", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		changed := make(chan struct{}, 8)
		client := mcp.NewClient(&mcp.Implementation{Name: "scale-out", Version: "1"}, &mcp.ClientOptions{
			ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} }})
		cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: lb.URL + "/mcp",
			HTTPClient: &http.Client{Transport: bearer{key, http.DefaultTransport}}}, nil)
		if err != nil {
			t.Fatalf("connect through the balancer: %v", err)
		}
		defer cs.Close()
		for i := range 6 { // each request of the session lands on the next replica
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "book", Arguments: map[string]any{}})
			if err != nil || res.IsError {
				t.Fatalf("tools/call %d through the balancer: %v %+v", i, err, res)
			}
		}
		// A tool activated through one replica reaches the client's stream,
		// wherever it is held.
		start := time.Now()
		publish(map[string]any{"name": "cancel_callback", "description": "Cancel a booked callback.", "method": "POST",
			"url": upstream.URL + "/cancel", "input_schema": empty})
		mustAPI(a, 200, "PATCH", "/v1/admin/agents/"+agentID, adminKey, map[string]any{"tools": []any{
			map[string]any{"name": "whoami"}, map[string]any{"name": "book"}, map[string]any{"name": "save_lead"},
			map[string]any{"name": "cancel_callback"}}})
		select {
		case <-changed:
			t.Logf("MCP: 6 calls alternating between replicas; tools/list_changed reached the client %s after the change", time.Since(start).Round(time.Millisecond))
		case <-ctx.Done():
			t.Fatal("no notifications/tools/list_changed reached the client")
		}
		list, err := cs.ListTools(ctx, nil)
		if err != nil || len(list.Tools) != 4 {
			t.Fatalf("tools/list after the change: %v %d tools", err, len(list.Tools))
		}
	})

	t.Run("one oauth token for both", func(t *testing.T) {
		before := as.Requests("client_credentials")
		for i := range 20 {
			if st, r := call(front, "whoami"); st != 200 || r["outcome"] != "success" {
				t.Fatalf("whoami %d: %d %v", i, st, r)
			}
		}
		if n := as.Requests("client_credentials") - before; n != 1 {
			t.Errorf("20 calls through two replicas made %d token requests, want 1", n)
		}
	})

	t.Run("one idempotency key sent to both at once", func(t *testing.T) {
		before := hit("/book")
		for i := range 10 {
			idem := fmt.Sprintf("booking-%d", i)
			var wg sync.WaitGroup
			for _, g := range []*gateway{a, b} {
				wg.Go(func() {
					req, _ := http.NewRequest("POST", g.url+"/v1/tools/book/call", nil)
					req.Body = io.NopCloser(strings.NewReader(`{"arguments":{}}`))
					req.Header.Set("Authorization", "Bearer "+key)
					req.Header.Set("Idempotency-Key", idem)
					resp, err := http.DefaultClient.Do(req)
					if err == nil {
						resp.Body.Close()
					}
				})
			}
			wg.Wait()
		}
		if n := hit("/book") - before; n != 10 {
			t.Errorf("10 keys each sent to both replicas at once reached the upstream %d times, want 10", n)
		}
	})

	t.Run("key revoked on one is refused by the other", func(t *testing.T) {
		k := mustAPI(front, 201, "POST", "/v1/admin/keys", adminKey, map[string]any{"name": "short-lived", "role": "agent", "agent_id": agentID})
		for _, g := range []*gateway{a, b} { // both replicas cache it
			if st, _ := g.api(t, "GET", "/v1/tools", k["key"].(string), nil); st != 200 {
				t.Fatalf("the new key: %d", st)
			}
		}
		mustAPI(a, 204, "DELETE", "/v1/admin/keys/"+k["id"].(string), adminKey, nil)
		revoked := time.Now()
		// Refused before the key cache's TTL would have dropped it: the
		// change reached the other replica (the latency is logged).
		deadline := time.NewTimer(admin.KeyCacheTTL - time.Second)
		defer deadline.Stop()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if st, _ := b.api(t, "GET", "/v1/tools", k["key"].(string), nil); st == 401 {
				t.Logf("key revoked through one replica refused by the other %s later", time.Since(revoked).Round(time.Millisecond))
				return
			}
			select {
			case <-deadline.C:
				t.Fatalf("the other replica still accepts the revoked key after %s", admin.KeyCacheTTL-time.Second)
			case <-tick.C:
			}
		}
	})

	t.Run("background runs survive a replica killed", func(t *testing.T) {
		const runs = 40
		ids := make([]string, 0, runs)
		for i := range runs {
			st, r := call(front, "save_lead")
			if st != 202 {
				t.Fatalf("save_lead %d: %d %v", i, st, r)
			}
			ids = append(ids, r["run_id"].(string))
		}
		for range runs / 4 { // kill b once the CRM is busy
			select {
			case <-leadSeen:
			case <-time.After(60 * time.Second):
				t.Fatal("the upstream saw too few leads")
			}
		}
		lb.down[1].Store(true)
		if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = b.cmd.Wait()
		deadline := time.Now().Add(2 * time.Minute)
		for _, id := range ids {
			for {
				st, r := a.api(t, "GET", "/v1/runs/"+id, key, nil)
				if st == 200 && r["status"] == "succeeded" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("run %s did not succeed after replica b was killed: %d %v", id, st, r)
				}
				select {
				case <-leadSeen:
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
		leadsMu.Lock()
		defer leadsMu.Unlock()
		twice := 0
		for _, id := range ids {
			switch n := leads[id]; {
			case n == 0:
				t.Errorf("run %s succeeded but the upstream never saw it", id)
			case n > 1:
				twice++
			}
			// Every attempt is on record, the interrupted ones included.
			_, r := a.api(t, "GET", "/v1/runs/"+id, key, nil)
			if attempts, _ := r["attempts"].([]any); len(attempts) < leads[id] {
				t.Errorf("run %s reached the upstream %d times but records %d attempts", id, leads[id], len(attempts))
			}
		}
		t.Logf("background: %d runs queued through two replicas, one killed mid-way: %d succeeded, %d reached the upstream twice (rescued, at least once)", runs, runs, twice)
	})
}

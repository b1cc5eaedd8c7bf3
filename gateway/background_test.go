package gateway_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// callbacks is a receiver of signed run callbacks.
type callbacks struct {
	*httptest.Server
	got chan delivered
}

type delivered struct {
	body      []byte
	signature string
}

func newCallbacks(t *testing.T) *callbacks {
	cb := &callbacks{got: make(chan delivered, 100)}
	cb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		cb.got <- delivered{body: body, signature: r.Header.Get("X-Toolgate-Signature")}
	}))
	t.Cleanup(cb.Close)
	return cb
}

// next waits for a delivery (bounded).
func (cb *callbacks) next(t *testing.T) delivered {
	t.Helper()
	select {
	case d := <-cb.got:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("no callback within 30s")
		return delivered{}
	}
}

func TestBackground(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("lifecycle", func(t *testing.T) { testBackgroundLifecycle(t, newEnv(t, newStore, envOptions{background: true})) })
		t.Run("retries", func(t *testing.T) { testBackgroundRetries(t, newEnv(t, newStore, envOptions{background: true})) })
	})
}

func testBackgroundLifecycle(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	cb := newCallbacks(t)
	e.publishTool(map[string]any{"name": "crm_note", "description": "Save a note to the CRM; slow, so it runs in the background.",
		"method": "POST", "url": up.URL + "/notes", "background": true,
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"text": map[string]any{"type": "string"}}, "required": []string{"text"}}})
	e.publishTool(map[string]any{"name": "flex", "description": "A tool whose callers may choose to run it in the background.",
		"url": up.URL + "/flex", "allow_background_override": true})
	e.publishTool(map[string]any{"name": "rigid", "description": "A tool whose callers may not choose background execution.", "url": up.URL + "/rigid"})
	_, key := e.agentWithKey("bot", "crm_note", "flex", "rigid")

	// Invalid arguments are refused synchronously.
	if r := e.do("POST", "/v1/tools/crm_note/call", key, map[string]any{"arguments": map[string]any{}}); r.status != 422 {
		t.Fatalf("invalid background call: %d %s", r.status, r.raw)
	}
	r := e.must(202, "POST", "/v1/tools/crm_note/call", key, map[string]any{"arguments": map[string]any{"text": "hello"}, "callback_url": cb.URL + "/hook"})
	runID := r.str("run_id")
	if r.str("status") != "queued" || r.str("tool") != "crm_note" || r.at("version") != float64(1) || runID == "" {
		t.Fatalf("202 body: %s", r.raw)
	}
	d := cb.next(t)
	if !strings.Contains(string(d.body), runID) || !strings.Contains(string(d.body), `"status":"succeeded"`) {
		t.Errorf("callback body: %s", d.body)
	}
	ws := e.must(200, "GET", "/v1/admin/workspace", e.admin, nil)
	secret, err := hex.DecodeString(ws.str("callbacks.signing_secret"))
	if err != nil || len(secret) == 0 {
		t.Fatalf("signing secret: %s", ws.raw)
	}
	ts, sig, ok := strings.Cut(d.signature, ",v1=")
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strings.TrimPrefix(ts, "t=") + "." + string(d.body)))
	if !ok || !hmac.Equal([]byte(sig), []byte(hex.EncodeToString(mac.Sum(nil)))) {
		t.Errorf("callback signature %q does not verify", d.signature)
	}
	got := e.must(200, "GET", "/v1/runs/"+runID, key, nil)
	if got.str("status") != "succeeded" || got.str("outcome") != "success" || len(got.at("attempts").([]any)) != 1 {
		t.Errorf("polled run: %s", got.raw)
	}
	if seen := up.last(t); seen.Header["Idempotency-Key"][0] != runID || !strings.Contains(seen.Body, "hello") {
		t.Errorf("upstream saw Idempotency-Key %v body %q", seen.Header["Idempotency-Key"], seen.Body)
	}

	// Client idempotency: the same key returns the same run and queues nothing.
	hits := up.hits.Load()
	first := e.doWithHeader("POST", "/v1/tools/crm_note/call", key, map[string]any{"arguments": map[string]any{"text": "once"}, "callback_url": cb.URL}, "Idempotency-Key", "abc-1")
	cb.next(t)
	second := e.doWithHeader("POST", "/v1/tools/crm_note/call", key, map[string]any{"arguments": map[string]any{"text": "once"}}, "Idempotency-Key", "abc-1")
	if first.str("run_id") == "" || first.str("run_id") != second.str("run_id") {
		t.Errorf("idempotent resubmission: %s then %s", first.raw, second.raw)
	}
	if n := up.hits.Load() - hits; n != 1 {
		t.Errorf("upstream called %d times for one idempotency key, want 1", n)
	}

	// Override only where allowed.
	e.must(202, "POST", "/v1/tools/flex/call", key, map[string]any{"background": true})
	e.must(200, "POST", "/v1/tools/flex/call", key, map[string]any{"background": false})
	if r := e.do("POST", "/v1/tools/rigid/call", key, map[string]any{"background": true}); r.status != 400 {
		t.Errorf("override on a tool that does not allow it: %d", r.status)
	}
}

func testBackgroundRetries(t *testing.T, e *env) {
	var mu sync.Mutex
	seen := map[string][]time.Time{}
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		n := len(seen[r.URL.Path])
		seen[r.URL.Path] = append(seen[r.URL.Path], time.Now())
		mu.Unlock()
		switch {
		case r.URL.Path == "/flaky" && n < 2:
			http.Error(w, "try later", 503)
		case r.URL.Path == "/limited" && n == 0:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", 429)
		case r.URL.Path == "/bad":
			http.Error(w, "no", 400)
		case r.URL.Path == "/down":
			http.Error(w, "down", 500)
		default:
			return false
		}
		return true
	})
	cb := newCallbacks(t)
	for _, name := range []string{"flaky", "limited", "bad", "down"} {
		e.publishTool(map[string]any{"name": name, "description": "A background tool for testing the retry class " + name + ".",
			"method": "POST", "url": up.URL + "/" + name, "background": true, "retry": map[string]any{"max_attempts": 3}})
	}
	_, key := e.agentWithKey("bot", "flaky", "limited", "bad", "down")
	want := map[string]struct {
		status   string
		attempts int
	}{
		"flaky":   {"succeeded", 3}, // 503, 503, 200
		"limited": {"succeeded", 2}, // 429 with Retry-After: 1, then 200
		"bad":     {"failed", 1},    // 4xx is final
		"down":    {"failed", 3},    // 5xx until attempts run out
	}
	ids := map[string]string{}
	for name := range want {
		r := e.must(202, "POST", "/v1/tools/"+name+"/call", key, map[string]any{"callback_url": cb.URL})
		ids[r.str("run_id")] = name
	}
	for range want {
		cb.next(t)
	}
	for id, name := range ids {
		r := e.must(200, "GET", "/v1/runs/"+id, key, nil)
		w := want[name]
		if r.str("status") != w.status || len(r.at("attempts").([]any)) != w.attempts {
			t.Errorf("%s: status %s with %d attempts, want %s with %d; %s", name, r.str("status"), len(r.at("attempts").([]any)), w.status, w.attempts, r.raw)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if l := seen["/limited"]; len(l) != 2 || l[1].Sub(l[0]) < time.Second {
		t.Errorf("Retry-After: 1 not honoured: attempts at %v", l)
	}
}

// TestCallbackBlocked proves a callback to an address the guard refuses is
// never delivered (and never retried).
func TestCallbackBlocked(t *testing.T) {
	var hits int
	var mu sync.Mutex
	blocked := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	blocked.Listener.Close()
	blocked.Listener = ln
	blocked.Start()
	defer blocked.Close()
	up := newUpstream(t, nil)
	// Only 127.0.0.1 (the upstream) is allowed; the callback goes to 127.0.0.2.
	e := newEnv(t, testdb.SQLite, envOptions{background: true, allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	e.publishTool(map[string]any{"name": "bg", "description": "A background tool whose callback points somewhere blocked.",
		"url": up.URL, "background": true})
	_, key := e.agentWithKey("bot", "bg")
	r := e.must(202, "POST", "/v1/tools/bg/call", key, map[string]any{"callback_url": blocked.URL + "/hook"})
	// The callback job runs after the run finishes; wait for the guard's log line.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(e.logs.String(), "callback refused by the egress guard") {
		if time.Now().After(deadline) {
			t.Fatalf("no refusal logged; run %s", r.str("run_id"))
		}
		e.waitLog()
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 0 {
		t.Errorf("blocked callback target got %d requests", hits)
	}
}

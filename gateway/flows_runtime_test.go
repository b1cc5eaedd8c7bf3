package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// flowUpstream is the backend of the runtime tests, on loopback: it keeps
// every request it gets.
type flowUpstream struct {
	srv      *httptest.Server
	requests chan *http.Request
}

func newFlowUpstream(t *testing.T) *flowUpstream {
	u := &flowUpstream{requests: make(chan *http.Request, 256)}
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		u.requests <- r.Clone(r.Context())
		switch r.PathValue("id") {
		case "AB1234":
			writeJSON(w, 200, map[string]any{"status": "in_transit", "eta": "2026-06-01"})
		case "DL0001":
			writeJSON(w, 200, map[string]any{"status": "delayed", "eta": "2026-07-01"})
		default:
			writeJSON(w, 404, map[string]any{"error": "no such order"})
		}
	})
	// counter answers the counter it was sent, plus one.
	mux.HandleFunc("POST /api/counter", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Variables struct {
				Counter struct {
					Value int `json:"value"`
				} `json:"counter"`
			} `json:"variables"`
		}
		data, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(data, &body)
		writeJSON(w, 200, map[string]any{"value": body.Variables.Counter.Value + 1})
	})
	u.srv = httptest.NewServer(mux)
	t.Cleanup(u.srv.Close)
	return u
}

// next returns the next order request the upstream got.
func (u *flowUpstream) next(t *testing.T) *http.Request {
	t.Helper()
	select {
	case r := <-u.requests:
		return r
	case <-t.Context().Done():
		t.Fatal("the upstream got no request")
	}
	return nil
}

// publishFlow creates and publishes a flow of the agent, returning its ID.
func (e *env) publishFlow(agentID, name, definition string) string {
	e.t.Helper()
	base := "/v1/admin/agents/" + agentID + "/flows"
	id := e.must(201, "POST", base, e.admin, map[string]any{"name": name, "type": "conversation", "flow": rawJSON(e.t, definition)}).str("id")
	e.must(200, "POST", base+"/"+id+"/publish", e.admin, nil)
	return id
}

// sessionsPath is the path that starts a session of the named flow.
func sessionsPath(flow string) string { return "/v1/flows/" + url.PathEscape(flow) + "/sessions" }

func TestFlowsRuntimeAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("conversation", func(t *testing.T) { testFlowConversation(t, newEnv(t, newStore)) })
		t.Run("errors", func(t *testing.T) { testFlowRuntimeErrors(t, newEnv(t, newStore)) })
		t.Run("names", func(t *testing.T) { testFlowNamesInPaths(t, newEnv(t, newStore)) })
		t.Run("concurrent messages", func(t *testing.T) { testFlowConcurrentMessages(t, newEnv(t, newStore)) })
	})
}

// turnKeys are the fields of a turn, exactly (reason only when closed
// abnormally).
var turnKeys = []string{"flow", "messages", "runs", "session_id", "state", "status", "variables", "version"}

// testFlowConversation: the order flow end to end over HTTP: start,
// a message that does not match, the order number, the history, the run.
func testFlowConversation(t *testing.T, e *env) {
	up := newFlowUpstream(t)
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "my_backend", "base_url": up.srv.URL + "/api"})
	agentID, key := e.agentWithKey("support")
	e.publishFlow(agentID, "Order status", orderFlow)

	start := e.must(201, "POST", sessionsPath("Order status"), key, map[string]any{
		"context":   map[string]any{"user_id": "+255700000001", "channel": "whatsapp"},
		"variables": map[string]any{"contact_name": "Asha", "big": json.Number("9007199254740993")},
	})
	if diff := cmp.Diff(turnKeys, keysOf(start.body)); diff != "" {
		t.Errorf("turn fields (-want +got):\n%s", diff)
	}
	sessionID := start.str("session_id")
	if start.str("flow") != "Order status" || start.at("version") != 1.0 || start.str("state") != "ask_order" ||
		start.str("status") != "waiting_input" || !slices.Equal(strs(start.at("messages")), []string{"What is your order number?"}) ||
		len(start.at("runs").([]any)) != 0 {
		t.Errorf("start: %s", start.raw)
	}
	// Variables keep exact integers.
	if !strings.Contains(string(start.raw), `"big":9007199254740993`) {
		t.Errorf("start lost an integer's precision: %s", start.raw)
	}

	retry := e.must(200, "POST", "/v1/flows/sessions/"+sessionID+"/messages", key, map[string]any{"text": "my order"})
	if retry.str("state") != "ask_order" || !slices.Equal(strs(retry.at("messages")), []string{"Order numbers look like AB1234. What is yours?"}) {
		t.Errorf("input that does not match: %s", retry.raw)
	}

	turn := e.must(200, "POST", "/v1/flows/sessions/"+sessionID+"/messages", key, map[string]any{"text": "AB1234"})
	wantMessages := []string{"Looking that up for you...", "Your order is in_transit, arriving 2026-06-01.", "Anything else?"}
	if diff := cmp.Diff(wantMessages, strs(turn.at("messages"))); diff != "" || turn.str("status") != "ended" || turn.str("state") != "done" {
		t.Errorf("order turn: %s (messages -want +got:\n%s)", turn.raw, diff)
	}
	runs := strs(turn.at("runs"))
	if len(runs) != 1 || turn.at("variables.order.status") != "in_transit" || turn.at("variables.api_status") != 200.0 {
		t.Fatalf("order turn: %s", turn.raw)
	}
	req := up.next(t)
	for header, want := range map[string]string{
		"X-Toolgate-Flow-Name": "Order status", "X-Toolgate-State": "fetch_order", "X-Toolgate-User-Id": "+255700000001",
		"X-Toolgate-Channel": "whatsapp", "X-Toolgate-Agent-Id": agentID, "X-Toolgate-User-Name": "Asha",
		"X-Toolgate-Run-Id": runs[0], "Idempotency-Key": runs[0],
	} {
		if got := req.Header.Get(header); got != want {
			t.Errorf("upstream header %s = %q, want %q", header, got, want)
		}
	}
	if req.URL.Path != "/api/orders/AB1234" {
		t.Errorf("upstream path %s", req.URL.Path)
	}

	// The API call is an ordinary run of the agent, named for the flow.
	run := e.must(200, "GET", "/v1/admin/runs/"+runs[0], e.admin, nil)
	if run.str("tool") != "flow:Order status" || run.str("agent_id") != agentID || run.str("outcome") != "success" ||
		run.str("conversation_id") != sessionID || run.at("context.flow.session_id") != sessionID {
		t.Errorf("run: %s", run.raw)
	}

	// An admin replays the flow's call: the same request, from the flow
	// version and the variables the call was made with, as a new run.
	replay := e.must(200, "POST", "/v1/admin/runs/"+runs[0]+"/replay", e.admin, nil)
	if replay.str("outcome") != "success" || replay.str("run_id") == runs[0] {
		t.Errorf("replay of the flow's call: %s", replay.raw)
	}
	if again := up.next(t); again.URL.Path != req.URL.Path || again.Header.Get("X-Toolgate-State") != "fetch_order" {
		t.Errorf("the replay sent %s %v, want the call's path and state header", again.URL.Path, again.Header)
	}
	if r := e.do("POST", "/v1/admin/runs/"+runs[0]+"/replay", e.admin, map[string]any{"arguments": map[string]any{"x": 1}}); r.status != 400 {
		t.Errorf("replay of a flow's call with edited arguments: %d %s, want 400", r.status, r.raw)
	}

	// The session with its history: states entered, messages, inputs, runs.
	s := e.must(200, "GET", "/v1/flows/sessions/"+sessionID, key, nil)
	if s.str("status") != "ended" || s.str("session_id") != sessionID || s.at("context.user_id") != "+255700000001" {
		t.Errorf("session: %s", s.raw)
	}
	var history []string
	for _, step := range s.at("history").([]any) {
		m := step.(map[string]any)
		line := m["kind"].(string) + " " + m["state"].(string)
		if text, ok := m["text"].(string); ok {
			line += ": " + text
		}
		if id, ok := m["run_id"].(string); ok {
			line += " run=" + id
		}
		if m["kind"] == "note" {
			line = "note " + m["state"].(string)
		}
		history = append(history, line)
	}
	wantHistory := []string{
		"enter ask_order", "message ask_order: What is your order number?",
		"input ask_order: my order", "note ask_order", "message ask_order: Order numbers look like AB1234. What is yours?",
		"input ask_order: AB1234",
		"enter fetch_order", "message fetch_order: Looking that up for you...", "call fetch_order run=" + runs[0],
		"enter show_status", "message show_status: Your order is in_transit, arriving 2026-06-01.",
		"enter done", "message done: Anything else?", "end done",
	}
	if diff := cmp.Diff(wantHistory, history); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}

	// An ended session takes no more messages.
	if r := e.do("POST", "/v1/flows/sessions/"+sessionID+"/messages", key, map[string]any{"text": "hi"}); r.status != 409 || r.str("error.type") != "session_closed" {
		t.Errorf("message after the end: %d %s, want 409 session_closed", r.status, r.raw)
	}
}

// testFlowRuntimeErrors: what the runtime refuses, and to whom.
func testFlowRuntimeErrors(t *testing.T, e *env) {
	agentID, key := e.agentWithKey("support")
	_, otherKey := e.agentWithKey("sales")
	e.publishFlow(agentID, "Hello", helloFlow)
	e.must(201, "POST", "/v1/admin/agents/"+agentID+"/flows", e.admin, map[string]any{"name": "Draft", "flow": rawJSON(t, helloFlow)})
	waiting := `{"start": "ask", "states": {"ask": {"message": "Name?", "input": {}, "transitions": [{"to": "ask"}]}}}`
	e.publishFlow(agentID, "Ask", waiting)
	open := e.must(201, "POST", sessionsPath("Ask"), key, map[string]any{"context": map[string]any{"user_id": "u-1"}}).str("session_id")
	ctx := map[string]any{"context": map[string]any{"user_id": "u-1"}}

	for _, c := range []struct {
		name, method, path, key string
		body                    any
		status                  int
		typ, detail             string
	}{
		{"unknown flow", "POST", sessionsPath("Nope"), key, ctx, 404, "not_found", ""},
		{"another agent's flow", "POST", sessionsPath("Hello"), otherKey, ctx, 404, "not_found", ""},
		{"never published", "POST", sessionsPath("Draft"), key, ctx, 409, "flow_not_published", ""},
		{"no user_id", "POST", sessionsPath("Hello"), key, map[string]any{"context": map[string]any{"channel": "web"}}, 422, "validation_failed", "context.user_id"},
		{"no context", "POST", sessionsPath("Hello"), key, map[string]any{}, 422, "validation_failed", "context.user_id"},
		{"context not an object", "POST", sessionsPath("Hello"), key, map[string]any{"context": "u-1"}, 400, "bad_request", ""},
		{"variables not an object", "POST", sessionsPath("Hello"), key, map[string]any{"context": map[string]any{"user_id": "u"}, "variables": []any{}}, 400, "bad_request", ""},
		{"unknown field", "POST", sessionsPath("Hello"), key, map[string]any{"context": map[string]any{"user_id": "u"}, "vars": map[string]any{}}, 400, "bad_request", ""},
		{"message too long", "POST", "/v1/flows/sessions/" + open + "/messages", key, map[string]any{"text": string(make([]byte, 16<<10+1))}, 422, "validation_failed", "text"},
		{"no text", "POST", "/v1/flows/sessions/" + open + "/messages", key, map[string]any{}, 422, "validation_failed", "text"},
		{"unknown session", "GET", "/v1/flows/sessions/" + store.NewID(), key, nil, 404, "not_found", ""},
		{"message to an unknown session", "POST", "/v1/flows/sessions/" + store.NewID() + "/messages", key, map[string]any{"text": "x"}, 404, "not_found", ""},
		{"another agent's session", "GET", "/v1/flows/sessions/" + open, otherKey, nil, 404, "not_found", ""},
		{"message to another agent's session", "POST", "/v1/flows/sessions/" + open + "/messages", otherKey, map[string]any{"text": "x"}, 404, "not_found", ""},
		{"admin key", "POST", sessionsPath("Hello"), e.admin, ctx, 403, "forbidden", ""},
		{"no key", "GET", "/v1/flows/sessions/" + open, "", nil, 401, "unauthorized", ""},
		{"wrong method", "GET", sessionsPath("Hello"), key, nil, 405, "method_not_allowed", ""},
		{"unknown route", "GET", "/v1/flows/sessions/" + open + "/steps", key, nil, 404, "not_found", ""},
		{"empty segment", "POST", "/v1/flows//sessions", key, ctx, 404, "not_found", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.key, c.body)
			if r.status != c.status || r.str("error.type") != c.typ {
				t.Fatalf("%d %s, want %d %s", r.status, r.raw, c.status, c.typ)
			}
			if c.detail != "" {
				if _, ok := r.details()[c.detail]; !ok {
					t.Errorf("details %v do not name %s", r.details(), c.detail)
				}
			}
		})
	}
	// The refused messages changed nothing.
	if s := e.must(200, "GET", "/v1/flows/sessions/"+open, key, nil); s.str("status") != "waiting_input" || len(s.at("history").([]any)) != 2 {
		t.Errorf("session after refused messages: %s", s.raw)
	}
}

// testFlowNamesInPaths: a flow's name is free text, so any name reaches its
// flow: spaces, a slash (as %2F), and "sessions" itself.
func testFlowNamesInPaths(t *testing.T, e *env) {
	agentID, key := e.agentWithKey("support")
	for _, name := range []string{"Hello", "Orders / returns", "sessions", "messages", "50% off?", "Hali ya oda · 注文"} {
		t.Run(name, func(t *testing.T) {
			e.publishFlow(agentID, name, helloFlow)
			r := e.must(201, "POST", sessionsPath(name), key, map[string]any{"context": map[string]any{"user_id": "u-1"}})
			if r.str("flow") != name || r.str("status") != "ended" || !slices.Equal(strs(r.at("messages")), []string{"Hi u-1"}) {
				t.Errorf("start %q: %s", name, r.raw)
			}
			if s := e.must(200, "GET", "/v1/flows/sessions/"+r.str("session_id"), key, nil); s.str("flow") != name {
				t.Errorf("session of %q: %s", name, s.raw)
			}
		})
	}
}

// testFlowConcurrentMessages: messages sent to one session at once are
// applied one after the other, each turn on the variables the previous one
// left: none is lost, none interleaves with another.
func testFlowConcurrentMessages(t *testing.T, e *env) {
	up := newFlowUpstream(t)
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "my_backend", "base_url": up.srv.URL + "/api"})
	agentID, key := e.agentWithKey("support")
	counter := `{"start": "count", "states": {
	  "count": {"actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/counter", "method": "POST", "save_to": "counter"}],
	            "message": "", "transitions": [{"to": "wait"}]},
	  "wait": {"message": "Count {{variables.counter.value}}", "input": {"save_to": "last"}, "transitions": [{"to": "count"}]}}}`
	e.publishFlow(agentID, "Counter", counter)
	start := e.must(201, "POST", sessionsPath("Counter"), key, map[string]any{
		"context": map[string]any{"user_id": "u-1"}, "variables": map[string]any{"counter": map[string]any{"value": 0}}})
	sessionID := start.str("session_id")
	if start.at("variables.counter.value") != 1.0 {
		t.Fatalf("start: %s", start.raw)
	}

	const n = 8
	var wg sync.WaitGroup
	counts := make([]float64, n)
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			r := e.do("POST", "/v1/flows/sessions/"+sessionID+"/messages", key, map[string]any{"text": fmt.Sprintf("m%d", i)})
			if r.status != 200 {
				errs <- fmt.Sprintf("message %d: %d %s", i, r.status, r.raw)
				return
			}
			counts[i], _ = r.at("variables.counter.value").(float64)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Each turn saw the counter the previous one left.
	slices.Sort(counts)
	want := []float64{2, 3, 4, 5, 6, 7, 8, 9}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("counters the turns answered (-want +got):\n%s", diff)
	}
	s := e.must(200, "GET", "/v1/flows/sessions/"+sessionID, key, nil)
	if s.at("variables.counter.value") != float64(n+1) {
		t.Errorf("final counter: %s", s.raw)
	}
	// The history holds every message once, each followed by its own turn
	// (enter count, its call, enter wait, the message shown) before the
	// next message.
	var kinds []string
	seen := map[string]bool{}
	for _, step := range s.at("history").([]any) {
		m := step.(map[string]any)
		kinds = append(kinds, m["kind"].(string)+" "+m["state"].(string))
		if m["kind"] == "input" {
			seen[m["text"].(string)] = true
		}
	}
	turnSteps := []string{"input wait", "enter count", "call count", "enter wait", "message wait"}
	first := []string{"enter count", "call count", "enter wait", "message wait"}
	wantKinds := slices.Clone(first)
	for range n {
		wantKinds = append(wantKinds, turnSteps...)
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("history kinds (-want +got):\n%s", diff)
	}
	if len(seen) != n {
		t.Errorf("inputs in the history: %v, want %d distinct", seen, n)
	}
}

// strs returns a JSON array of strings.
func strs(v any) []string {
	out := []string{}
	list, _ := v.([]any)
	for _, s := range list {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}

package gateway_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/oauth/oauthtest"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/testdb"
)

func TestGuardrails(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("confirm", func(t *testing.T) { testConfirm(t, newGuardEnv(t, newStore, false)) })
		t.Run("approval", func(t *testing.T) { testApproval(t, newGuardEnv(t, newStore, true)) })
		t.Run("concurrency", func(t *testing.T) { testConcurrencyLimit(t, newGuardEnv(t, newStore, false)) })
		t.Run("rate", func(t *testing.T) { testRateLimit(t, newGuardEnv(t, newStore, false)) })
		t.Run("background waits", func(t *testing.T) { testBackgroundLimit(t, newGuardEnv(t, newStore, true)) })
		t.Run("cache", func(t *testing.T) { testCache(t, newGuardEnv(t, newStore, false)) })
		t.Run("validation", func(t *testing.T) { testGuardrailValidation(t, newGuardEnv(t, newStore, false)) })
	})
}

// guardEnv is a gateway on an injected clock with one tool per guardrail,
// an agent that has them all (with a key and Vapi settings) and an
// upstream that counts what reaches it.
type guardEnv struct {
	*env
	clock   *oauthtest.Clock
	up      *upstream
	agentID string
	key     string
	// slow holds /slow requests until released; inFlight and maxInFlight
	// count them at the upstream.
	slow                  chan struct{}
	inFlight, maxInFlight atomic.Int32
	arrived               chan struct{}
}

func newGuardEnv(t *testing.T, newStore func(testing.TB) store.Store, background bool) *guardEnv {
	t.Helper()
	clock := oauthtest.NewClock()
	g := &guardEnv{clock: clock, slow: make(chan struct{}), arrived: make(chan struct{}, 64)}
	g.env = newEnv(t, newStore, envOptions{background: background, now: clock.Now})
	g.up = newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/slow" {
			return false
		}
		n := g.inFlight.Add(1)
		for {
			m := g.maxInFlight.Load()
			if n <= m || g.maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		g.arrived <- struct{}{}
		<-g.slow
		g.inFlight.Add(-1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"done":true}`)
		return true
	})
	t.Cleanup(func() {
		select {
		case <-g.slow:
		default:
			close(g.slow) // never leave a request hanging
		}
	})
	str := map[string]any{"type": "string"}
	g.publishTool(map[string]any{
		"name": "book_callback", "description": "Book a callback once the caller gave their number and name.",
		"method": "POST", "url": g.up.URL + "/callbacks",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"phone_number": str, "name": str},
			"required": []string{"phone_number", "name"}},
		"confirm": map[string]any{"message": "I'll book a callback to {{args.phone_number}} for {{args.name}}. Shall I go ahead?", "ttl_s": 300},
	})
	g.publishTool(map[string]any{
		"name": "issue_refund", "description": "Refund an order once the caller gave the order id and asked for a refund.",
		"method": "POST", "url": g.up.URL + "/refunds",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"order_id": str}, "required": []string{"order_id"}},
		"approval":     map[string]any{"required": true, "timeout_s": 900, "message": "A colleague needs to approve this refund. I'll let you know."},
	})
	g.publishTool(map[string]any{
		"name": "get_slow", "description": "Look something up in the slow system; it takes a while to answer.",
		"method": "GET", "url": g.up.URL + "/slow", "input_schema": map[string]any{"type": "object"},
		"limits": []map[string]any{{"key": "tool", "concurrency": 2}},
	})
	g.publishTool(map[string]any{
		"name": "get_quota", "description": "Check the caller's quota; each caller may do this twice an hour.",
		"method": "GET", "url": g.up.URL + "/quota", "input_schema": map[string]any{"type": "object"},
		"limits": []map[string]any{{"key": "user", "rate": "2/h"}},
	})
	g.publishTool(map[string]any{
		"name": "get_weather", "description": "Get the weather for a city the caller named.",
		"method": "GET", "url": g.up.URL + "/weather/{{args.city}}",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"city": str}, "required": []string{"city"}},
		"cache":        map[string]any{"ttl_s": 60},
	})
	a := g.must(201, "POST", "/v1/admin/agents", g.admin, map[string]any{
		"name": "phone-bot", "tools": []map[string]any{{"name": "book_callback"}, {"name": "issue_refund"}, {"name": "get_slow"},
			{"name": "get_quota"}, {"name": "get_weather"}},
		"adapters": map[string]any{"vapi": map[string]any{"secret": vapiSecret}}})
	g.agentID = a.str("id")
	k := g.must(201, "POST", "/v1/admin/keys", g.admin, map[string]any{"name": "bot-key", "role": "agent", "agent_id": g.agentID})
	g.key = k.str("key")
	return g
}

// call calls a tool through REST with a conversation and a user.
func (g *guardEnv) call(tool string, args map[string]any, conversation, token string) *response {
	g.t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	body := map[string]any{"arguments": args, "context": map[string]any{"conversation_id": conversation, "user_id": "u-1"}}
	if token != "" {
		body["confirmation_token"] = token
	}
	return g.do("POST", "/v1/tools/"+tool+"/call", g.key, body)
}

// vapiResult is one Vapi call's answer: its result or its error text.
type vapiResult struct{ result, err string }

// vapi sends one Vapi tool call in call callID and returns its answer.
func (g *guardEnv) vapi(callID, tool string, args map[string]any) vapiResult {
	g.t.Helper()
	body := mustJSON(g.t, map[string]any{"message": map[string]any{
		"type":         "tool-calls",
		"toolCallList": []map[string]any{{"id": "tc-1", "name": tool, "arguments": args}},
		"call":         map[string]any{"id": callID, "customer": map[string]any{"number": "+14155550123"}},
	}})
	a := decodeVapi(g.t, g.post("/v1/adapters/vapi/"+g.agentID, body, map[string]string{"X-Vapi-Secret": vapiSecret}))
	if len(a.Results) != 1 {
		g.t.Fatalf("vapi results: %+v", a.Results)
	}
	var out vapiResult
	if r := a.Results[0].Result; r != nil {
		out.result = *r
	}
	if e := a.Results[0].Error; e != nil {
		out.err = *e
	}
	return out
}

// hits counts the upstream's requests to a path.
func (g *guardEnv) hits(path string) int {
	g.up.mu.Lock()
	defer g.up.mu.Unlock()
	n := 0
	for _, r := range g.up.requests {
		if r.Path == path {
			n++
		}
	}
	return n
}

var tokenInText = regexp.MustCompile(`tgc_[A-Za-z0-9_-]+`)

// withToken returns args plus the _confirmation_token argument.
func withToken(args map[string]any, token string) map[string]any {
	out := map[string]any{"_confirmation_token": token}
	for k, v := range args {
		out[k] = v
	}
	return out
}

func testConfirm(t *testing.T, g *guardEnv) {
	args := map[string]any{"phone_number": "+14155550123", "name": "Ada"}
	changed := map[string]any{"phone_number": "+14155550199", "name": "Ada"}

	// Every listing offers the token as an argument of the tool with a
	// confirm (strict mode as a required, nullable one).
	for _, format := range []string{"openai", "openai_strict", "anthropic", "gemini", "mcp"} {
		if raw := string(g.must(200, "GET", "/v1/tools?format="+format, g.key, nil).raw); !strings.Contains(raw, "_confirmation_token") {
			t.Errorf("%s listing lacks _confirmation_token", format)
		}
	}

	// REST: a call without a token sends nothing and answers 200 with
	// the message to read back and a token.
	r := g.call("book_callback", args, "conv-1", "")
	if r.status != 200 || r.str("outcome") != "needs_confirmation" || r.at("ok") != false {
		t.Fatalf("first call: %d %s", r.status, r.raw)
	}
	if got, want := r.str("confirmation.message"), "I'll book a callback to +14155550123 for Ada. Shall I go ahead?"; got != want {
		t.Errorf("confirmation.message = %q, want %q", got, want)
	}
	if msg := r.str("message"); !strings.Contains(msg, "Read this back to the caller") || !strings.Contains(msg, "only if they agree") {
		t.Errorf("message for the model = %q", msg)
	}
	token := r.str("confirmation.token")
	if !strings.HasPrefix(token, "tgc_") {
		t.Fatalf("token %q", token)
	}
	// The same token with changed arguments, or in another conversation,
	// is asked again, never run.
	if r := g.call("book_callback", changed, "conv-1", token); r.str("outcome") != "needs_confirmation" || r.str("confirmation.token") == token {
		t.Errorf("token with changed arguments: %s", r.raw)
	}
	if r := g.call("book_callback", args, "conv-2", token); r.str("outcome") != "needs_confirmation" {
		t.Errorf("token in another conversation: %s", r.raw)
	}
	if n := g.hits("/callbacks"); n != 0 {
		t.Fatalf("upstream got %d calls before the confirmation", n)
	}
	// The token with the same arguments runs the call, once.
	if r := g.call("book_callback", args, "conv-1", token); r.status != 200 || r.str("outcome") != "success" {
		t.Fatalf("confirmed call: %d %s", r.status, r.raw)
	}
	if got := g.up.last(t).Body; got != `{"name":"Ada","phone_number":"+14155550123"}` && got != `{"phone_number":"+14155550123","name":"Ada"}` {
		t.Errorf("upstream body %s, want the arguments without the token", got)
	}
	if r := g.call("book_callback", args, "conv-1", token); r.str("outcome") != "needs_confirmation" {
		t.Errorf("token used twice: %s", r.raw)
	}
	// An expired token is asked again.
	r = g.call("book_callback", args, "conv-1", "")
	g.clock.Advance(301 * time.Second)
	if r := g.call("book_callback", args, "conv-1", r.str("confirmation.token")); r.str("outcome") != "needs_confirmation" {
		t.Errorf("expired token: %s", r.raw)
	}
	if n := g.hits("/callbacks"); n != 1 {
		t.Errorf("upstream got %d calls over REST, want 1", n)
	}

	// A model's batch: the token as a field of the tool call object.
	batch := func(token string) string {
		call := map[string]any{"id": "call_1", "type": "function",
			"function": map[string]any{"name": "book_callback", "arguments": string(mustJSON(t, args))}}
		if token != "" {
			call["confirmation_token"] = token
		}
		r := g.must(200, "POST", "/v1/tool-calls", g.key, map[string]any{"tool_calls": []any{call},
			"context": map[string]any{"conversation_id": "conv-batch"}})
		return r.at("messages").([]any)[0].(map[string]any)["content"].(string)
	}
	content := batch("")
	if !strings.Contains(content, "only if they agree") {
		t.Fatalf("batch call without a token: %q", content)
	}
	if content := batch(tokenInText.FindString(content)); strings.Contains(content, "agree") {
		t.Errorf("batch call with the token: %q", content)
	}
	if n := g.hits("/callbacks"); n != 2 {
		t.Errorf("upstream got %d calls after the batch, want 2", n)
	}

	// MCP: _confirmation_token is an argument, not sent upstream; the
	// session is the conversation.
	cs := g.mustMCP(g.key, nil)
	res := callMCP(t, cs, "book_callback", args)
	text := textOf(t, res)
	if res.IsError || !strings.Contains(text, "only if they agree") {
		t.Fatalf("MCP first call: error %v, %q", res.IsError, text)
	}
	token = tokenInText.FindString(text)
	if sc, _ := asJSON(t, res.StructuredContent).(map[string]any); sc["outcome"] != "needs_confirmation" ||
		sc["confirmation"].(map[string]any)["token"] != token {
		t.Errorf("MCP structured content %v, want the outcome and the token %s", sc, token)
	}
	if res := callMCP(t, cs, "book_callback", withToken(changed, token)); !strings.Contains(textOf(t, res), "only if they agree") {
		t.Errorf("MCP token with changed arguments: %q", textOf(t, res))
	}
	if res := callMCP(t, cs, "book_callback", withToken(args, token)); res.IsError || strings.Contains(textOf(t, res), "agree") {
		t.Fatalf("MCP confirmed call: %q", textOf(t, res))
	}
	if body := g.up.last(t).Body; strings.Contains(body, "_confirmation_token") {
		t.Errorf("the token reached the upstream: %s", body)
	}
	if n := g.hits("/callbacks"); n != 3 {
		t.Errorf("upstream got %d calls after MCP, want 3", n)
	}

	// A voice adapter: the answer is an instruction with the token; the
	// call is the conversation.
	a := g.vapi("call-A", "book_callback", args)
	token = tokenInText.FindString(a.result)
	if a.err != "" || token == "" || !strings.Contains(a.result, "only if they agree") {
		t.Fatalf("Vapi first call: %+v", a)
	}
	if a := g.vapi("call-A", "book_callback", withToken(changed, token)); !strings.Contains(a.result, "only if they agree") {
		t.Errorf("Vapi token with changed arguments: %+v", a)
	}
	if a := g.vapi("call-B", "book_callback", withToken(args, token)); !strings.Contains(a.result, "only if they agree") {
		t.Errorf("Vapi token in another call: %+v", a)
	}
	if a := g.vapi("call-A", "book_callback", withToken(args, token)); a.err != "" || strings.Contains(a.result, "agree") {
		t.Fatalf("Vapi confirmed call: %+v", a)
	}
	if n := g.hits("/callbacks"); n != 4 {
		t.Errorf("upstream got %d calls after Vapi, want 4", n)
	}

	// The runs say what happened; the metrics count it.
	runs := g.must(200, "GET", "/v1/admin/runs?tool=book_callback&outcome=needs_confirmation", g.admin, nil)
	if n := len(runs.at("items").([]any)); n < 9 {
		t.Errorf("%d needs_confirmation runs recorded, want at least 9", n)
	}
	metrics := string(g.must(200, "GET", "/metrics", g.admin, nil).raw)
	for _, want := range []string{`toolgate_confirmations_total{result="confirmed",tool="book_callback"} 4`,
		`toolgate_confirmations_total{result="requested",tool="book_callback"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// hooks receives signed webhooks and callbacks.
type hooks struct {
	*httptest.Server
	got chan hook
}

type hook struct {
	event, signature string
	body             []byte
}

func newHooks(t *testing.T) *hooks {
	h := &hooks{got: make(chan hook, 64)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.got <- hook{event: r.Header.Get("X-Toolgate-Event"), signature: r.Header.Get("X-Toolgate-Signature"), body: body}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hooks) next(t *testing.T, what string) hook {
	t.Helper()
	select {
	case got := <-h.got:
		return got
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s within 30s", what)
		return hook{}
	}
}

// verifySignature checks a delivery's signature with the workspace's
// signing secret, as a receiver does.
func verifySignature(t *testing.T, secretHex string, h hook) {
	t.Helper()
	secret, err := hex.DecodeString(secretHex)
	if err != nil {
		t.Fatal(err)
	}
	ts, sig, _ := strings.Cut(strings.TrimPrefix(h.signature, "t="), ",v1=")
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(h.body)
	if !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(sig)) {
		t.Errorf("signature %q does not verify", h.signature)
	}
}

func testApproval(t *testing.T, g *guardEnv) {
	webhooks, callbacks := newHooks(t), newHooks(t)
	ws := g.must(200, "PATCH", "/v1/admin/workspace", g.admin, map[string]any{"approvals": map[string]any{"webhook_url": webhooks.URL}})
	if ws.str("approvals.webhook_url") != webhooks.URL {
		t.Fatalf("workspace after PATCH: %s", ws.raw)
	}
	secret := ws.str("callbacks.signing_secret")
	if r := g.do("PATCH", "/v1/admin/workspace", g.admin, map[string]any{"approvals": map[string]any{"webhook_url": "ftp://x"}}); r.status != 422 {
		t.Errorf("a webhook URL that is not http: %d %s", r.status, r.raw)
	}
	var adminKeyID string
	for _, k := range g.must(200, "GET", "/v1/admin/keys", g.admin, nil).at("items").([]any) {
		if m := k.(map[string]any); m["role"] == "admin" {
			adminKeyID = m["id"].(string)
		}
	}
	refund := map[string]any{"order_id": "A-17"}

	// Approved (called through REST, with a callback): the call answers
	// at once and sends nothing; the webhook announces it, signed.
	r := g.do("POST", "/v1/tools/issue_refund/call", g.key, map[string]any{"arguments": refund, "callback_url": callbacks.URL})
	if r.status != 202 || r.str("status") != "awaiting_approval" || !strings.Contains(r.str("message"), "A colleague needs to approve this refund") {
		t.Fatalf("call of a tool that needs approval: %d %s", r.status, r.raw)
	}
	approvedID := r.str("run_id")
	h := webhooks.next(t, "approval webhook")
	verifySignature(t, secret, h)
	var announced struct {
		Event, RunID, Tool string
		Arguments          map[string]any
		ApprovePath        string `json:"approve_path"`
	}
	_ = json.Unmarshal(h.body, &announced)
	if h.event != "approval.requested" || !strings.Contains(string(h.body), approvedID) ||
		announced.Arguments["order_id"] != "A-17" || announced.ApprovePath != "/v1/admin/runs/"+approvedID+"/approve" {
		t.Errorf("webhook %s %s", h.event, h.body)
	}
	if n := g.hits("/refunds"); n != 0 {
		t.Fatalf("upstream got %d calls before approval", n)
	}
	queue := g.must(200, "GET", "/v1/admin/approvals", g.admin, nil)
	if items := queue.at("items").([]any); len(items) != 1 || items[0].(map[string]any)["run_id"] != approvedID {
		t.Errorf("approval queue: %s", queue.raw)
	}
	// An agent key can never approve.
	if r := g.do("POST", "/v1/admin/runs/"+approvedID+"/approve", g.key, nil); r.status != 403 {
		t.Errorf("approve with an agent key: %d, want 403", r.status)
	}
	a := g.must(200, "POST", "/v1/admin/runs/"+approvedID+"/approve", g.admin, nil)
	if a.str("status") != "approved" || a.str("decided_by") != adminKeyID || a.str("decided_at") == "" {
		t.Errorf("approval: %s", a.raw)
	}
	cb := callbacks.next(t, "callback of the approved run")
	verifySignature(t, secret, cb)
	if !strings.Contains(string(cb.body), `"outcome":"success"`) {
		t.Errorf("callback of the approved run: %s", cb.body)
	}
	if n := g.hits("/refunds"); n != 1 {
		t.Errorf("upstream got %d calls after approval, want 1", n)
	}
	run := g.must(200, "GET", "/v1/admin/runs/"+approvedID, g.admin, nil)
	if run.str("status") != "succeeded" || run.str("approval.decided_by") != adminKeyID || run.str("approval.status") != "approved" {
		t.Errorf("approved run: %s", run.raw)
	}
	if r := g.do("POST", "/v1/admin/runs/"+approvedID+"/reject", g.admin, map[string]any{"reason": "late"}); r.status != 409 {
		t.Errorf("rejecting an approved run: %d, want 409", r.status)
	}

	// Rejected (called through MCP): the model reads that it waits; the
	// rejection's reason is what the caller hears.
	cs := g.mustMCP(g.key, nil)
	res := callMCP(t, cs, "issue_refund", refund)
	if res.IsError || !strings.Contains(textOf(t, res), "waiting for a person to approve") {
		t.Fatalf("MCP call awaiting approval: %q", textOf(t, res))
	}
	rejectedID, _ := res.Meta["io.toolgate/run_id"].(string)
	webhooks.next(t, "approval webhook of the MCP call")
	a = g.must(200, "POST", "/v1/admin/runs/"+rejectedID+"/reject", g.admin, map[string]any{"reason": "the order was already refunded"})
	if a.str("status") != "rejected" || a.str("reason") != "the order was already refunded" {
		t.Errorf("rejection: %s", a.raw)
	}
	polled := g.must(200, "GET", "/v1/runs/"+rejectedID, g.key, nil)
	if polled.str("status") != "failed" || polled.str("outcome") != "rejected" ||
		!strings.Contains(polled.str("error.message"), "the order was already refunded") {
		t.Errorf("rejected run as the agent polls it: %s", polled.raw)
	}

	// Expired (called through Vapi): once its time ran out on the
	// gateway's clock, the sweep ends it.
	v := g.vapi("call-A", "issue_refund", refund)
	if v.err != "" || !strings.Contains(v.result, "A colleague needs to approve this refund") {
		t.Fatalf("Vapi call awaiting approval: %+v", v)
	}
	webhooks.next(t, "approval webhook of the Vapi call")
	queue = g.must(200, "GET", "/v1/admin/approvals", g.admin, nil)
	items := queue.at("items").([]any)
	if len(items) != 1 {
		t.Fatalf("pending approvals: %s", queue.raw)
	}
	expiredID := items[0].(map[string]any)["run_id"].(string)
	if err := g.app.SweepGuardrails(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := g.must(200, "GET", "/v1/admin/runs/"+expiredID, g.admin, nil); r.str("status") != "awaiting_approval" {
		t.Errorf("before its time ran out: %s", r.str("status"))
	}
	g.clock.Advance(901 * time.Second)
	if err := g.app.SweepGuardrails(context.Background()); err != nil {
		t.Fatal(err)
	}
	expired := g.must(200, "GET", "/v1/admin/runs/"+expiredID, g.admin, nil)
	if expired.str("status") != "failed" || expired.str("outcome") != "approval_expired" || expired.str("approval.status") != "expired" {
		t.Errorf("expired run: %s", expired.raw)
	}
	if r := g.do("POST", "/v1/admin/runs/"+expiredID+"/approve", g.admin, nil); r.status != 409 {
		t.Errorf("approving an expired run: %d, want 409", r.status)
	}
	if r := g.do("POST", "/v1/admin/runs/"+store.NewID()+"/approve", g.admin, nil); r.status != 404 {
		t.Errorf("approving a run that does not exist: %d, want 404", r.status)
	}
	if n := g.hits("/refunds"); n != 1 {
		t.Errorf("upstream got %d refunds, want 1 (only the approved)", n)
	}
	metrics := string(g.must(200, "GET", "/metrics", g.admin, nil).raw)
	for _, want := range []string{`toolgate_approvals_total{result="requested",tool="issue_refund"} 3`,
		`toolgate_approvals_total{result="approved",tool="issue_refund"} 1`,
		`toolgate_approvals_total{result="rejected",tool="issue_refund"} 1`,
		`toolgate_approvals_total{result="expired",tool="issue_refund"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// The console shows the queue, and an admin decides there.
	r = g.call("issue_refund", refund, "conv-9", "")
	consoleID := r.str("run_id")
	b := g.signedIn()
	if page := b.mustGet("/ui/approvals"); !strings.Contains(page, consoleID) || !strings.Contains(page, "A-17") {
		t.Errorf("approval queue page lacks the pending run %s", consoleID)
	}
	if loc := b.mustPost("/ui/approvals/"+url.PathEscape(consoleID)+"/reject", url.Values{"reason": {"not today"}}); !strings.HasPrefix(loc, "/ui/approvals?") {
		t.Errorf("reject in the console redirects to %q", loc)
	}
	if page := b.mustGet("/ui/runs/" + consoleID); !strings.Contains(page, "rejected") || !strings.Contains(page, "not today") {
		t.Errorf("run page after a console rejection lacks the decision")
	}
}

func testConcurrencyLimit(t *testing.T, g *guardEnv) {
	// Nine calls at once, three through each surface, to a tool limited to
	// two in flight.
	type answer struct {
		surface     string
		ok, limited bool
		detail      string
	}
	cs := g.mustMCP(g.key, nil)
	surfaces := []func() answer{
		func() answer {
			r := g.call("get_slow", nil, "conv-1", "")
			return answer{"REST", r.status == 200 && r.str("outcome") == "success",
				r.status == 429 && r.str("outcome") == "rate_limited" && r.header.Get("Retry-After") == "1", string(r.raw)}
		},
		func() answer {
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "get_slow", Arguments: map[string]any{}})
			if err != nil || len(res.Content) != 1 {
				return answer{surface: "MCP", detail: fmt.Sprint(err)}
			}
			text := res.Content[0].(*mcp.TextContent).Text
			return answer{"MCP", !res.IsError, res.IsError && strings.Contains(text, "Too many requests"), text}
		},
		func() answer {
			v := g.vapi("call-A", "get_slow", nil)
			return answer{"Vapi", v.err == "" && strings.Contains(v.result, "done"), strings.Contains(v.err, "Too many requests"), v.err}
		},
	}
	const calls = 9
	answers := make(chan answer, calls)
	for i := range calls {
		go func() { answers <- surfaces[i%3]() }()
	}
	// Two reach the upstream and wait there; the other seven are refused
	// at once, with nothing sent.
	for range 2 {
		select {
		case <-g.arrived:
		case <-time.After(30 * time.Second):
			t.Fatal("fewer than two calls reached the upstream")
		}
	}
	limited := map[string]int{}
	for range calls - 2 {
		a := <-answers
		if !a.limited {
			t.Errorf("%s call over the concurrency limit: %s, want it refused as rate_limited", a.surface, a.detail)
		}
		limited[a.surface]++
	}
	close(g.slow)
	for range 2 {
		if a := <-answers; !a.ok {
			t.Errorf("%s call within the limit: %s", a.surface, a.detail)
		}
	}
	if got := g.maxInFlight.Load(); got != 2 {
		t.Errorf("upstream saw %d calls at once, want at most (and here exactly) 2", got)
	}
	if n := g.hits("/slow"); n != 2 {
		t.Errorf("upstream got %d calls, want 2", n)
	}
	if len(limited) != 3 {
		t.Errorf("refused calls by surface %v, want each surface refused", limited)
	}
	// The slots were given back (the upstream answers at once now).
	if r := g.call("get_slow", nil, "conv-1", ""); r.status != 200 {
		t.Errorf("after the slots were released: %d %s", r.status, r.raw)
	}
	metrics := string(g.must(200, "GET", "/metrics", g.admin, nil).raw)
	if want := `toolgate_limited_calls_total{limit="concurrency",tool="get_slow"} 7`; !strings.Contains(metrics, want) {
		t.Errorf("metrics lack %q", want)
	}
}

func testRateLimit(t *testing.T, g *guardEnv) {
	// 2/h per user: REST, MCP and Vapi callers are each a user.
	for i := range 2 {
		if r := g.call("get_quota", nil, "conv-1", ""); r.status != 200 {
			t.Fatalf("call %d within the limit: %d %s", i+1, r.status, r.raw)
		}
	}
	r := g.call("get_quota", nil, "conv-1", "")
	if r.status != 429 || r.str("outcome") != "rate_limited" || r.header.Get("Retry-After") != "1800" ||
		r.at("retry_after_ms") != float64(1800000) || !strings.Contains(r.str("error.message"), "30 minutes") {
		t.Errorf("third call in the hour: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.raw)
	}
	if n := g.hits("/quota"); n != 2 {
		t.Errorf("upstream got %d calls, want 2", n)
	}
	g.clock.Advance(30 * time.Minute)
	if r := g.call("get_quota", nil, "conv-1", ""); r.status != 200 {
		t.Errorf("after waiting Retry-After: %d %s", r.status, r.raw)
	}

	// MCP callers carry no user_id: they share one bucket.
	cs := g.mustMCP(g.key, nil)
	for range 2 {
		if res := callMCP(t, cs, "get_quota", map[string]any{}); res.IsError {
			t.Fatalf("MCP call within the limit: %q", textOf(t, res))
		}
	}
	if res := callMCP(t, cs, "get_quota", map[string]any{}); !res.IsError || !strings.Contains(textOf(t, res), "Too many requests") {
		t.Errorf("MCP call over the limit: error %v %q", res.IsError, textOf(t, res))
	}
	// A Vapi caller is the customer's number.
	for range 2 {
		if v := g.vapi("call-A", "get_quota", nil); v.err != "" {
			t.Fatalf("Vapi call within the limit: %+v", v)
		}
	}
	if v := g.vapi("call-A", "get_quota", nil); !strings.Contains(v.err, "Too many requests") {
		t.Errorf("Vapi call over the limit: %+v", v)
	}
	if n := g.hits("/quota"); n != 7 {
		t.Errorf("upstream got %d calls, want 7", n)
	}
}

// testBackgroundLimit: a background run a limit holds back waits instead
// of failing, and runs once the limit allows.
func testBackgroundLimit(t *testing.T, g *guardEnv) {
	g.publishTool(map[string]any{
		"name": "sync_slow", "description": "Sync the slow system in the background; it takes a while.",
		"method": "GET", "url": g.up.URL + "/slow", "input_schema": map[string]any{"type": "object"}, "background": true,
		"limits": []map[string]any{{"key": "tool", "concurrency": 1}},
	})
	g.must(200, "PATCH", "/v1/admin/agents/"+g.agentID, g.admin, map[string]any{"tools": []map[string]any{{"name": "sync_slow"}}})
	callbacks := newHooks(t)
	var ids []string
	for range 2 {
		r := g.do("POST", "/v1/tools/sync_slow/call", g.key, map[string]any{"callback_url": callbacks.URL})
		if r.status != 202 {
			t.Fatalf("background call: %d %s", r.status, r.raw)
		}
		ids = append(ids, r.str("run_id"))
	}
	select {
	case <-g.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no background run reached the upstream")
	}
	// The other one is held back while the first holds the slot: it
	// waits (the worker says so), queued, with no attempt counted.
	deadline := time.After(30 * time.Second)
	for !strings.Contains(g.logs.String(), "a limit held the run back") {
		select {
		case <-g.logs.changed:
		case <-deadline:
			t.Fatal("no background run was held back by the limit")
		}
	}
	waiting := 0
	for _, id := range ids {
		run := g.must(200, "GET", "/v1/admin/runs/"+id, g.admin, nil)
		if run.str("status") == "queued" && len(run.at("attempts").([]any)) == 0 {
			waiting++
		}
	}
	if waiting != 1 {
		t.Errorf("%d runs wait queued without an attempt, want 1", waiting)
	}
	close(g.slow)
	for range 2 {
		if cb := callbacks.next(t, "callback"); !strings.Contains(string(cb.body), `"outcome":"success"`) {
			t.Errorf("callback: %s", cb.body)
		}
	}
	if got := g.maxInFlight.Load(); got != 1 {
		t.Errorf("upstream saw %d background runs at once, want 1", got)
	}
}

func testCache(t *testing.T, g *guardEnv) {
	// A miss calls the upstream; the same request then answers from the
	// cache through every surface, sending nothing.
	first := g.call("get_weather", map[string]any{"city": "Paris"}, "conv-1", "")
	if first.status != 200 || first.at("cache_hit") != nil {
		t.Fatalf("first call: %d %s", first.status, first.raw)
	}
	second := g.call("get_weather", map[string]any{"city": "Paris"}, "conv-2", "")
	if second.status != 200 || second.at("cache_hit") != true {
		t.Fatalf("second call: %s", second.raw)
	}
	if diff := cmp.Diff(first.at("result"), second.at("result")); diff != "" {
		t.Errorf("cached result differs (-first +second):\n%s", diff)
	}
	cs := g.mustMCP(g.key, nil)
	if res := callMCP(t, cs, "get_weather", map[string]any{"city": "Paris"}); res.IsError {
		t.Errorf("MCP cache hit: %q", textOf(t, res))
	}
	if v := g.vapi("call-A", "get_weather", map[string]any{"city": "Paris"}); v.err != "" || !strings.Contains(v.result, "Paris") {
		t.Errorf("Vapi cache hit: %+v", v)
	}
	if n := g.hits("/weather/Paris"); n != 1 {
		t.Errorf("upstream got %d calls for Paris, want 1", n)
	}
	// Other arguments are another request.
	g.call("get_weather", map[string]any{"city": "Oslo"}, "conv-1", "")
	if n := g.hits("/weather/Oslo"); n != 1 {
		t.Errorf("upstream got %d calls for Oslo, want 1", n)
	}
	// The hit is a run marked as one, with nothing sent.
	run := g.must(200, "GET", "/v1/admin/runs/"+second.str("run_id"), g.admin, nil)
	if run.at("cache_hit") != true || run.str("outcome") != "success" || run.at("response") != nil {
		t.Errorf("cache-hit run: %s", run.raw)
	}
	// Expired entries are not used.
	g.clock.Advance(61 * time.Second)
	if r := g.call("get_weather", map[string]any{"city": "Paris"}, "conv-1", ""); r.at("cache_hit") != nil {
		t.Errorf("call after the TTL: %s", r.raw)
	}
	if n := g.hits("/weather/Paris"); n != 2 {
		t.Errorf("upstream got %d calls for Paris after the TTL, want 2", n)
	}
	metrics := string(g.must(200, "GET", "/metrics", g.admin, nil).raw)
	if want := `toolgate_cache_lookups_total{result="hit",tool="get_weather"} 3`; !strings.Contains(metrics, want) {
		t.Errorf("metrics lack %q", want)
	}
	if page := g.signedIn().mustGet("/ui/runs/" + second.str("run_id")); !strings.Contains(page, "cache hit") {
		t.Error("the console's run page does not show the cache hit")
	}
}

func testGuardrailValidation(t *testing.T, g *guardEnv) {
	base := func() map[string]any {
		return map[string]any{"name": "t", "description": "A tool to check that guardrail validation refuses nonsense.",
			"method": "POST", "url": g.up.URL + "/x",
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}}}
	}
	tests := []struct {
		name string
		set  map[string]any
		path string
	}{
		{"a rate of 0/s", map[string]any{"limits": []map[string]any{{"key": "tool", "rate": "0/s"}}}, "limits[0].rate"},
		{"a cache on a POST", map[string]any{"cache": map[string]any{"ttl_s": 60}}, "cache"},
		{"a confirm naming no argument", map[string]any{"confirm": map[string]any{"message": "Book for {{args.phone}}?"}}, "confirm.message"},
		{"an unknown limit key", map[string]any{"limits": []map[string]any{{"key": "ip", "rate": "5/s"}}}, "limits[0].key"},
	}
	for i, tt := range tests {
		def := base()
		def["name"] = "t" + strconv.Itoa(i)
		for k, v := range tt.set {
			def[k] = v
		}
		id := g.must(201, "POST", "/v1/admin/tools", g.admin, def).str("id")
		r := g.do("POST", "/v1/admin/tools/"+id+"/publish", g.admin, nil)
		if r.status != 422 || !strings.Contains(string(r.raw), `"path":"`+tt.path+`"`) {
			t.Errorf("%s: publish %d %s, want 422 naming %s", tt.name, r.status, r.raw, tt.path)
		}
	}
	// A connection's limits are validated and kept.
	if r := g.do("POST", "/v1/admin/connections", g.admin, map[string]any{"name": "c1", "base_url": g.up.URL,
		"limits": []map[string]any{{"key": "user", "rate": "5/x"}}}); r.status != 422 {
		t.Errorf("connection with a bad rate: %d %s", r.status, r.raw)
	}
	c := g.must(201, "POST", "/v1/admin/connections", g.admin, map[string]any{"name": "c2", "base_url": g.up.URL,
		"limits": []map[string]any{{"key": "connection", "concurrency": 4}}})
	if diff := cmp.Diff([]any{map[string]any{"key": "connection", "concurrency": float64(4)}}, c.at("limits")); diff != "" {
		t.Errorf("connection limits (-want +got):\n%s", diff)
	}
	c = g.must(200, "PATCH", "/v1/admin/connections/"+c.str("id"), g.admin, map[string]any{"limits": nil})
	if diff := cmp.Diff([]any{}, c.at("limits")); diff != "" {
		t.Errorf("connection limits after removing them (-want +got):\n%s", diff)
	}
}

// TestRateLimitAcrossReplicas: a 5/m user limit holds exactly across two
// replicas on one PostgreSQL database under 50 concurrent calls: five
// reach the upstream, the others are refused with Retry-After, and a
// connection's limit counts every tool of it.
func TestRateLimitAcrossReplicas(t *testing.T) {
	dsn := testdb.PostgresURL(t)
	clock := oauthtest.NewClock()
	open := func(tb testing.TB) store.Store {
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { st.Close() })
		return st
	}
	a := newEnv(t, open, envOptions{now: clock.Now})
	b := a.replica(open(t))
	up := newUpstream(t, nil)
	a.publishTool(map[string]any{"name": "lookup", "description": "Look the caller up; five times a minute each.",
		"method": "GET", "url": up.URL + "/lookup", "input_schema": map[string]any{"type": "object"},
		"limits": []map[string]any{{"key": "user", "rate": "5/m"}}})
	_, key := a.agentWithKey("bot", "lookup")

	const calls = 50
	var wg sync.WaitGroup
	answers := make(chan string, calls)
	for i := range calls {
		e := a
		if i%2 == 1 {
			e = b
		}
		wg.Go(func() {
			r := e.do("POST", "/v1/tools/lookup/call", key, map[string]any{"context": map[string]any{"user_id": "caller-1"}})
			answers <- strconv.Itoa(r.status) + " Retry-After:" + r.header.Get("Retry-After")
		})
	}
	wg.Wait()
	close(answers)
	counts := map[string]int{}
	for s := range answers {
		counts[s]++
	}
	// After five at once, one every 12 s: the others wait 12 s.
	if diff := cmp.Diff(map[string]int{"200 Retry-After:": 5, "429 Retry-After:12": 45}, counts); diff != "" {
		t.Errorf("answers to 50 concurrent calls on two replicas (-want +got):\n%s", diff)
	}
	if n := up.hits.Load(); n != 5 {
		t.Errorf("upstream got %d calls, want exactly 5", n)
	}
	// Another user has their own five.
	if r := b.do("POST", "/v1/tools/lookup/call", key, map[string]any{"context": map[string]any{"user_id": "caller-2"}}); r.status != 200 {
		t.Errorf("another user: %d", r.status)
	}
	// One every 12 s after the burst, on either replica.
	clock.Advance(12 * time.Second)
	if r := a.do("POST", "/v1/tools/lookup/call", key, map[string]any{"context": map[string]any{"user_id": "caller-1"}}); r.status != 200 {
		t.Errorf("12 s later: %d", r.status)
	}
	if r := b.do("POST", "/v1/tools/lookup/call", key, map[string]any{"context": map[string]any{"user_id": "caller-1"}}); r.status != 429 {
		t.Errorf("a second call 12 s later: %d, want 429", r.status)
	}
}

// TestSweepDeletesExpiredGuards: idempotency claims past their window are
// deleted by the guardrail sweep, so the table does not grow with every
// keyed call.
func TestSweepDeletesExpiredGuards(t *testing.T) {
	g := newGuardEnv(t, testdb.SQLite, false)
	for i := range 3 {
		r := g.doWithHeader("POST", "/v1/tools/get_weather/call", g.key,
			map[string]any{"arguments": map[string]any{"city": fmt.Sprintf("city-%d", i)}}, "Idempotency-Key", fmt.Sprintf("k-%d", i))
		if r.status != 200 {
			t.Fatalf("keyed call: %d %s", r.status, r.raw)
		}
	}
	g.clock.Advance(invoke.IdempotencyWindow + time.Hour)
	if err := g.app.SweepGuardrails(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := g.clock.Now()
	if n, err := g.app.Store.GuardsDeleteExpired(t.Context(), now.Add(-invoke.IdempotencyWindow), now); err != nil || n != 0 {
		t.Errorf("after the sweep, %d expired claims were left (%v), want 0", n, err)
	}
}

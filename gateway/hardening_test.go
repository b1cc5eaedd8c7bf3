package gateway_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

func TestHardening(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("basic auth echo", func(t *testing.T) { testBasicAuthEcho(t, newEnv(t, newStore)) })
		t.Run("invalid utf-8", func(t *testing.T) { testInvalidUTF8(t, newEnv(t, newStore)) })
		t.Run("idempotency", func(t *testing.T) { testIdempotencyScope(t, newEnv(t, newStore)) })
		t.Run("secret header redirect", func(t *testing.T) { testSecretHeaderRedirect(t, newEnv(t, newStore)) })
	})
}

// testBasicAuthEcho: an upstream echoing the Authorization header leaks
// base64("user:password") unless the pair itself is redacted.
func testBasicAuthEcho(t *testing.T, e *env) {
	const user, password = "svcuser", "S3cretPassw0rd"
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"you_sent":"` + r.Header.Get("Authorization") + `"}`))
		return true
	})
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "basic", "base_url": up.URL,
		"auth": map[string]any{"type": "basic", "username": user}, "secrets": map[string]any{"password": password}})
	e.publishTool(map[string]any{"name": "echo_auth", "description": "Echo the Authorization header back, for a redaction test.",
		"connection": "basic", "path": "/"})
	_, key := e.agentWithKey("bot", "echo_auth")
	r := e.must(200, "POST", "/v1/tools/echo_auth/call", key, map[string]any{})
	if err := e.recorder.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	run := e.must(200, "GET", "/v1/admin/runs/"+r.str("run_id"), e.admin, nil)
	wire := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	for what, text := range map[string]string{"call result": string(r.raw), "run": string(run.raw)} {
		if strings.Contains(text, wire) || strings.Contains(text, password) {
			t.Errorf("%s shows the basic credentials: %s", what, text)
		}
	}
}

// testInvalidUTF8: arguments with invalid UTF-8 fail validation and are
// recorded without poisoning other runs' writes.
func testInvalidUTF8(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	e.publishTool(map[string]any{"name": "strict", "description": "A tool with a strict schema, for an invalid UTF-8 test.",
		"method": "POST", "url": up.URL,
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer"}}, "required": []string{"n"}}})
	_, key := e.agentWithKey("bot", "strict")
	ok := e.must(200, "POST", "/v1/tools/strict/call", key, map[string]any{"arguments": map[string]any{"n": 1}})
	bad := e.do("POST", "/v1/tools/strict/call", key, []byte("{\"arguments\": {\"x\": \"\xff\xfe\"}}"))
	if bad.status != 422 {
		t.Fatalf("invalid UTF-8 arguments: %d %s", bad.status, bad.raw)
	}
	if err := e.recorder.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ws := mustWorkspace(t, e)
	for _, id := range []string{ok.str("run_id"), bad.str("run_id")} {
		if _, err := e.store.RunGet(context.Background(), ws, id); err != nil {
			t.Errorf("run %s was not stored: %v", id, err)
		}
	}
	r := e.doWithHeader("POST", "/v1/tools/strict/call", key, map[string]any{"arguments": map[string]any{"n": 1}}, "Idempotency-Key", "caf\xe9")
	if r.status != 400 {
		t.Errorf("non-ASCII Idempotency-Key: %d, want 400", r.status)
	}
}

// testIdempotencyScope: a key names one call of one tool; a call that
// failed validation does not hold the key.
func testIdempotencyScope(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	for _, name := range []string{"first", "second"} {
		e.publishTool(map[string]any{"name": name, "description": "A tool for idempotency key scoping tests, named " + name + ".",
			"method": "POST", "url": up.URL,
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer"}}, "required": []string{"n"}}})
	}
	_, key := e.agentWithKey("bot", "first", "second")
	if r := e.doWithHeader("POST", "/v1/tools/first/call", key, map[string]any{"arguments": map[string]any{}}, "Idempotency-Key", "k1"); r.status != 422 {
		t.Fatalf("invalid call: %d", r.status)
	}
	fixed := e.doWithHeader("POST", "/v1/tools/first/call", key, map[string]any{"arguments": map[string]any{"n": 1}}, "Idempotency-Key", "k1")
	if fixed.status != 200 || fixed.str("outcome") != "success" {
		t.Errorf("retry after fixing the arguments: %d %s, want a new successful run", fixed.status, fixed.raw)
	}
	again := e.doWithHeader("POST", "/v1/tools/first/call", key, map[string]any{"arguments": map[string]any{"n": 1}}, "Idempotency-Key", "k1")
	if again.str("run_id") != fixed.str("run_id") {
		t.Errorf("repeat: run %s, want %s", again.str("run_id"), fixed.str("run_id"))
	}
	other := e.doWithHeader("POST", "/v1/tools/second/call", key, map[string]any{"arguments": map[string]any{"n": 1}}, "Idempotency-Key", "k1")
	if other.status != 409 {
		t.Errorf("same key, other tool: %d %s, want 409", other.status, other.raw)
	}
}

// testSecretHeaderRedirect: a header built from a secret does not follow a
// redirect to another origin.
func testSecretHeaderRedirect(t *testing.T, e *env) {
	other := newUpstream(t, nil)
	first := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
		return true
	})
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{"name": "hdr", "base_url": first.URL,
		"headers": map[string]any{"X-Api-Token": "{{secret.tok}}"}, "secrets": map[string]any{"tok": "tok-connheader-123"}})
	e.publishTool(map[string]any{"name": "hop", "description": "Call an upstream that redirects elsewhere, for a credential test.",
		"connection": "hdr", "path": "/", "headers": map[string]any{"X-Other-Key": "{{secret.tok}}"}})
	_, key := e.agentWithKey("bot", "hop")
	e.must(200, "POST", "/v1/tools/hop/call", key, map[string]any{})
	seen := other.last(t)
	for _, h := range []string{"X-Api-Token", "X-Other-Key"} {
		if v := seen.Header[h]; len(v) > 0 {
			t.Errorf("the other origin received %s: %v", h, v)
		}
	}
}

// TestDeepSchemaRefusedFast: an input schema nested past the documented
// depth (or over the size limit) is refused with 422 at once, not after
// seconds of compiling (a 37 KB schema nested 1,000 levels took 28 s to
// publish before the bound).
func TestDeepSchemaRefusedFast(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	deep := `{"type":"string"}`
	for range 2000 {
		deep = `{"type":"object","properties":{"a":` + deep + `}}`
	}
	created := e.must(201, "POST", "/v1/admin/tools", e.admin,
		`{"name":"deep","description":"A tool with a very deep schema.","method":"GET","url":"https://api.example.com/x","input_schema":`+deep+`}`)
	start := time.Now()
	r := e.do("POST", "/v1/admin/tools/"+created.str("id")+"/publish", e.admin, nil)
	took := time.Since(start)
	if r.status != 422 || !strings.Contains(string(r.raw), "nested more than 32 levels") {
		t.Errorf("publish: %d %s, want 422 naming the depth limit", r.status, r.raw)
	}
	if took > 10*time.Second { // the unbounded compile took 28 s; schema/limits_test.go bounds the CPU work itself
		t.Errorf("refusing the deep schema took %s", took)
	}
	t.Logf("a schema nested 2,000 levels refused in %s", took.Round(time.Microsecond))
}

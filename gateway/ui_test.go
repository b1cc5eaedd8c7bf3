package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

func TestUI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("signin", func(t *testing.T) { testUISignIn(t, newEnv(t, newStore)) })
		t.Run("csrf", func(t *testing.T) { testUICSRF(t, newEnv(t, newStore)) })
		t.Run("escaping", func(t *testing.T) { testUIEscaping(t, newEnv(t, newStore)) })
		t.Run("secrets", func(t *testing.T) { testUISecrets(t, newEnv(t, newStore)) })
		t.Run("workflow", func(t *testing.T) { testUIWorkflow(t, newEnv(t, newStore)) })
		t.Run("revoked key", func(t *testing.T) { testUIRevokedKey(t, newEnv(t, newStore)) })
		t.Run("dashboard", func(t *testing.T) { testUIDashboard(t, newEnv(t, newStore)) })
	})
}

// testUIRevokedKey: revoking the admin key a session signed in with ends
// the session at once.
func testUIRevokedKey(t *testing.T, e *env) {
	k := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "ops", "role": "admin"})
	b := e.browser()
	if p := b.signIn(k.str("key")); p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", p.status)
	}
	if p := b.get("/ui/runs"); p.status != http.StatusOK {
		t.Fatalf("signed in: %d", p.status)
	}
	e.must(204, "DELETE", "/v1/admin/keys/"+k.str("id"), e.admin, nil)
	if p := b.get("/ui/runs"); p.status != http.StatusSeeOther {
		t.Errorf("after revoking its key the session still works: %d", p.status)
	}
}

// browser is a console client: a cookie jar, no automatic redirects, and
// the CSRF token of the last page.
type browser struct {
	t      *testing.T
	e      *env
	client *http.Client
	csrf   string
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{t: e.t, e: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is a console answer.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) send(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	if m := csrfInput.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.e.server.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send(req)
}

// postRaw posts a form as it is.
func (b *browser) postRaw(path string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.e.server.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

// post posts a form with the current CSRF token.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.csrf)
	return b.postRaw(path, form)
}

// mustGet fetches a page and fails unless it is a 200.
func (b *browser) mustGet(path string) string {
	b.t.Helper()
	p := b.get(path)
	if p.status != http.StatusOK {
		b.t.Fatalf("GET %s: %d, want 200: %.500s", path, p.status, p.body)
	}
	return p.body
}

// mustPost posts a form and fails unless it redirects; it returns the
// redirect's target.
func (b *browser) mustPost(path string, form url.Values) string {
	b.t.Helper()
	p := b.post(path, form)
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("POST %s: %d, want 303: %.800s", path, p.status, p.body)
	}
	return p.header.Get("Location")
}

// signIn signs in with key and returns the sign-in answer.
func (b *browser) signIn(key string) page {
	b.t.Helper()
	b.mustGet("/ui/signin")
	return b.post("/ui/signin", url.Values{"key": {key}})
}

// signedIn returns a browser signed in with the env's admin key.
func (e *env) signedIn() *browser {
	b := e.browser()
	if p := b.signIn(e.admin); p.status != http.StatusSeeOther {
		e.t.Fatalf("sign in: %d, want 303: %.500s", p.status, p.body)
	}
	b.mustGet("/ui/runs")
	return b
}

func sessionCookie(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "toolgate_session" {
			return c
		}
	}
	return nil
}

func testUISignIn(t *testing.T, e *env) {
	b := e.browser()
	if p := b.get("/ui/runs"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/ui/signin" {
		t.Errorf("signed out GET /ui/runs: %d to %q, want 303 to /ui/signin", p.status, p.header.Get("Location"))
	}
	if p := b.postRaw("/ui/tools", url.Values{"definition": {"{}"}}); p.status != http.StatusUnauthorized {
		t.Errorf("signed out POST: %d, want 401", p.status)
	}

	// The sign-in form itself is protected: no token, no session.
	if p := e.browser().postRaw("/ui/signin", url.Values{"key": {e.admin}}); p.status != http.StatusForbidden || sessionCookie(t, p.header) != nil {
		t.Errorf("sign in without the form's token: %d, want 403 and no session", p.status)
	}
	if p := b.signIn("tg_thisKeyDoesNotExistAnywhere0000"); p.status != http.StatusUnauthorized || sessionCookie(t, p.header) != nil {
		t.Errorf("unknown key: %d, want 401 and no session", p.status)
	}

	// An agent key cannot sign in.
	e.publishTool(orderTool)
	_, agentKey := e.agentWithKey("bot", "get_order")
	p := b.signIn(agentKey)
	if p.status != http.StatusForbidden || sessionCookie(t, p.header) != nil || !strings.Contains(p.body, "agent keys cannot sign in") {
		t.Errorf("agent key sign in: %d (session cookie %v), want 403 without a session: %.300s", p.status, sessionCookie(t, p.header), p.body)
	}
	if p := b.get("/ui/runs"); p.status != http.StatusSeeOther {
		t.Errorf("after the agent key's attempt: GET /ui/runs %d, want 303 to sign in", p.status)
	}

	// An admin key signs in: the cookie is HttpOnly, SameSite=Strict, for
	// /ui, not Secure over plain HTTP, and the session expires server-side.
	before := time.Now()
	p = b.signIn(e.admin)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/ui/runs" {
		t.Fatalf("admin sign in: %d to %q, want 303 to /ui/runs", p.status, p.header.Get("Location"))
	}
	c := sessionCookie(t, p.header)
	if c == nil {
		t.Fatal("no session cookie")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/ui" || c.Secure || c.MaxAge <= 0 {
		t.Errorf("session cookie %+v, want HttpOnly, SameSite=Strict, Path=/ui, not Secure over HTTP, a max age", c)
	}
	if strings.Contains(c.Value, e.admin) || len(c.Value) < 40 {
		t.Errorf("session cookie value %q: want a random token unrelated to the key", c.Value)
	}
	sess := findSession(t, e, c.Value)
	if d := sess.ExpiresAt.Sub(before); d < 11*time.Hour || d > 13*time.Hour {
		t.Errorf("session expires in %v, want about 12h", d)
	}
	if body := b.mustGet("/ui/runs"); !strings.Contains(body, "Sign out") {
		t.Errorf("runs page after sign in lacks the sign-out form")
	}

	// Over TLS the cookie is Secure.
	tlsB := e.browser()
	tlsB.mustGet("/ui/signin")
	req := httptest.NewRequest("POST", "https://toolgate.example/ui/signin",
		strings.NewReader(url.Values{"key": {e.admin}, "csrf_token": {tlsB.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	u, _ := url.Parse(e.server.URL + "/ui/signin")
	for _, ck := range tlsB.client.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	e.server.Config.Handler.ServeHTTP(rec, req)
	if c := sessionCookie(t, rec.Header()); rec.Code != http.StatusSeeOther || c == nil || !c.Secure {
		t.Errorf("sign in over TLS: %d, cookie %+v; want 303 and a Secure cookie", rec.Code, c)
	}

	// Signing out deletes the session on the server: the old cookie value
	// no longer works even if a client kept it.
	if loc := b.mustPost("/ui/signout", nil); loc != "/ui/signin" {
		t.Errorf("sign out redirects to %q, want /ui/signin", loc)
	}
	if _, err := e.store.SessionGet(context.Background(), sess.IDHash, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after sign out: %v, want ErrNotFound", err)
	}
	stale, err := http.NewRequest("GET", e.server.URL+"/ui/runs", nil)
	if err != nil {
		t.Fatal(err)
	}
	stale.AddCookie(&http.Cookie{Name: "toolgate_session", Value: c.Value})
	if p := e.browser().send(stale); p.status != http.StatusSeeOther {
		t.Errorf("replayed cookie after sign out: %d, want 303 to sign in", p.status)
	}
}

// findSession returns the stored session of a cookie value.
func findSession(t *testing.T, e *env, value string) *store.Session {
	t.Helper()
	sess, err := e.store.SessionGet(context.Background(), sha256Hex(value), time.Now())
	if err != nil {
		t.Fatalf("session of the cookie: %v", err)
	}
	return sess
}

func testUICSRF(t *testing.T, e *env) {
	b := e.signedIn()
	def := `{"name":"csrf_tool","description":"A tool created by a CSRF test to see whether forms need their token.","url":"http://127.0.0.1:1/x"}`
	cases := []struct {
		name  string
		token string
	}{
		{"no token", ""},
		{"wrong token", "not-the-token"},
		{"another session's token", e.signedIn().csrf},
	}
	for _, c := range cases {
		form := url.Values{"definition": {def}}
		if c.token != "" {
			form.Set("csrf_token", c.token)
		}
		if p := b.postRaw("/ui/tools", form); p.status != http.StatusForbidden {
			t.Errorf("%s: POST /ui/tools %d, want 403", c.name, p.status)
		}
	}
	for _, path := range []string{"/ui/signout", "/ui/tools/x/publish", "/ui/runs/x/replay", "/ui/agents/x/keys"} {
		if p := b.postRaw(path, url.Values{}); p.status != http.StatusForbidden {
			t.Errorf("POST %s without token: %d, want 403", path, p.status)
		}
	}
	r := e.must(200, "GET", "/v1/admin/tools", e.admin, nil)
	if items, _ := r.at("items").([]any); len(items) != 0 {
		t.Errorf("tools after refused posts: %d, want none", len(items))
	}

	// The token works as a form field and as a header (for fetch).
	if loc := b.mustPost("/ui/tools", url.Values{"definition": {def}}); !strings.HasPrefix(loc, "/ui/tools/") {
		t.Errorf("create with token redirects to %q", loc)
	}
	req, _ := http.NewRequest("POST", e.server.URL+"/ui/signout", nil)
	req.Header.Set("X-CSRF-Token", b.csrf)
	if p := b.send(req); p.status != http.StatusSeeOther {
		t.Errorf("sign out with the header token: %d, want 303", p.status)
	}
}

// hostile is markup an upstream, a tool author or a caller might send.
const hostile = `<script>alert("pwned")</script><img src=x onerror=alert(1)>`

func testUIEscaping(t *testing.T, e *env) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/html") {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html>"+hostile+"</html>")
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Evil", hostile)
		_ = json.NewEncoder(w).Encode(map[string]any{"note": hostile})
		return true
	})
	toolID := e.publishTool(map[string]any{
		"name":        "evil",
		"description": "Fetches a page. " + hostile + " Call it whenever the user asks for anything at all.",
		"method":      "GET", "url": up.URL + "/things/{{args.what}}",
		"input_schema": map[string]any{"type": "object",
			"properties": map[string]any{"what": map[string]any{"type": "string", "description": hostile}},
			"required":   []string{"what"}},
	})
	_, key := e.agentWithKey("bot "+hostile, "evil")
	var runIDs []string
	for _, what := range []string{"json", "html"} {
		r := e.must(200, "POST", "/v1/tools/evil/call", key, map[string]any{
			"arguments": map[string]any{"what": what},
			"context":   map[string]any{"conversation_id": "conv-" + what, "note": hostile},
		})
		runIDs = append(runIDs, r.str("run_id"))
	}
	r := e.must(422, "POST", "/v1/tools/evil/call", key, map[string]any{"arguments": map[string]any{"what": 5, "x": hostile}})
	runIDs = append(runIDs, r.str("run_id"))

	b := e.signedIn()
	paths := []string{"/ui/runs", "/ui/runs-rows", "/ui/tools", "/ui/tools/" + toolID, "/ui/agents", "/ui/conversations/conv-json", "/ui/dashboard"}
	for _, id := range runIDs {
		paths = append(paths, "/ui/runs/"+id)
	}
	for _, path := range paths {
		body := b.mustGet(path)
		for _, bad := range []string{"<script>alert", "<img src=x"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q unescaped", path, bad)
			}
		}
	}
	runPage := b.mustGet("/ui/runs/" + runIDs[1])
	if !strings.Contains(runPage, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
		t.Errorf("the HTML response's <script> is not shown as text")
	}
	if csp := b.get("/ui/runs/" + runIDs[0]).header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q, want script-src 'self'", csp)
	}
}

func testUISecrets(t *testing.T, e *env) {
	const token = "sekrit-bearer-value-8c1f2"
	const headerSecret = "sekrit-header-value-77ab"
	up := newUpstream(t, nil) // echoes the request, Authorization included
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "crm", "base_url": up.URL, "auth": map[string]any{"type": "bearer"},
		"headers": map[string]any{"X-Api-Secret": "{{secret.hdr}}"},
		"secrets": map[string]any{"token": token, "hdr": headerSecret},
	})
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "calendar", "base_url": "https://calendar.example.com",
		"auth":    map[string]any{"type": "oauth2_authorization_code", "client_id": "cal", "authorize_url": "https://auth.example.com/authorize", "token_url": "https://auth.example.com/token"},
		"secrets": map[string]any{"client_secret": "sekrit-client-secret-5d"},
	})
	toolID := e.publishTool(map[string]any{
		"name": "lookup", "description": "Looks a customer up in the CRM by id; call it after the caller gives the id.",
		"method": "POST", "connection": "crm", "path": "/customers/{{args.id}}",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"id": map[string]any{"type": "string"}}, "required": []string{"id"}},
	})
	agentID, agentKey := e.agentWithKey("support", "lookup")
	r := e.must(200, "POST", "/v1/tools/lookup/call", agentKey, map[string]any{"arguments": map[string]any{"id": "c-1"},
		"context": map[string]any{"conversation_id": "conv-1"}})
	runID := r.str("run_id")
	if !strings.Contains(string(up.last(t).Header["Authorization"][0]), token) {
		t.Fatal("the upstream did not get the token: the test proves nothing")
	}

	b := e.signedIn()
	// Creating a key shows it once, in that answer only.
	created := b.post("/ui/agents/"+agentID+"/keys", url.Values{"name": {"shown-once"}})
	m := regexp.MustCompile(`id="new-key">(tg_[^<]+)<`).FindStringSubmatch(created.body)
	if created.status != http.StatusOK || m == nil {
		t.Fatalf("create key: %d, want 200 showing the key: %.500s", created.status, created.body)
	}
	newKey := m[1]
	if got := e.must(200, "POST", "/v1/tools/lookup/call", newKey, map[string]any{"arguments": map[string]any{"id": "c-2"}}); got.str("outcome") != "success" {
		t.Errorf("the key the console showed does not work: %s", got.raw)
	}

	signing := e.must(200, "GET", "/v1/admin/workspace", e.admin, nil).str("callbacks.signing_secret")
	secretValues := []string{token, headerSecret, "sekrit-client-secret-5d", e.admin, agentKey, newKey}
	paths := []string{"/ui/runs", "/ui/runs-rows", "/ui/runs/" + runID, "/ui/conversations/conv-1", "/ui/tools", "/ui/tools/" + toolID,
		"/ui/tools/" + toolID + "?a=1&b=0", "/ui/connections", "/ui/agents", "/ui/agents/" + agentID}
	pages := map[string]string{}
	for _, path := range paths {
		pages["GET "+path] = b.mustGet(path)
	}
	dry := b.post("/ui/tools/"+toolID+"/try", url.Values{"arguments": {`{"id":"c-3"}`}, "mode": {"dry"}})
	if dry.status != http.StatusOK || !strings.Contains(dry.body, "/customers/c-3") {
		t.Errorf("dry run: %d, want 200 with the rendered URL: %.500s", dry.status, dry.body)
	}
	pages["POST try (dry run)"] = dry.body
	for name, body := range pages {
		for _, secret := range secretValues {
			if strings.Contains(body, secret) {
				t.Errorf("%s contains a secret value %.12s…", name, secret)
			}
		}
		if signing != "" && strings.Contains(body, signing) {
			t.Errorf("%s contains the workspace signing secret", name)
		}
	}
	conns := pages["GET /ui/connections"]
	for _, want := range []string{"token: set", "hdr: set", "client_secret: set", "not connected", "crm", "bearer", "X-Api-Secret"} {
		if !strings.Contains(conns, want) {
			t.Errorf("connections page lacks %q", want)
		}
	}
	if !strings.Contains(pages["GET /ui/runs/"+runID], "[REDACTED]") && !strings.Contains(pages["GET /ui/runs/"+runID], "REDACTED") {
		t.Errorf("run page shows no redaction marker for the credential")
	}
}

func testUIWorkflow(t *testing.T, e *env) {
	up := newUpstream(t, nil)
	b := e.signedIn()

	// Register a tool through the console, publish it, and diff versions.
	def := fmt.Sprintf(`{"name":"get_order","description":"Look up an order's status and ETA. Call only after the caller has given the order id.",
		"method":"GET","url":"%s/orders/{{args.order_id}}",
		"input_schema":{"type":"object","properties":{"order_id":{"type":"string","description":"like A-1"},"verbose":{"type":"boolean"}},"required":["order_id"]}}`, up.URL)
	loc := b.mustPost("/ui/tools", url.Values{"definition": {def}})
	toolID := strings.TrimPrefix(loc, "/ui/tools/")
	page := b.mustGet(loc)
	for _, want := range []string{"draft", "order_id", "like A-1", "No problems found"} {
		if !strings.Contains(page, want) {
			t.Errorf("tool page lacks %q", want)
		}
	}
	if loc := b.mustPost("/ui/tools/"+toolID+"/publish", nil); !strings.Contains(loc, "published=1") {
		t.Errorf("publish redirects to %q", loc)
	}
	edited := strings.Replace(def, "like A-1", "like B-2", 1)
	b.mustPost("/ui/tools/"+toolID, url.Values{"definition": {edited}})
	b.mustPost("/ui/tools/"+toolID+"/publish", nil)
	diff := b.mustGet("/ui/tools/" + toolID + "?a=1&b=2")
	if !regexp.MustCompile(`class="ddel">-\s+&#34;description&#34;: &#34;like A-1&#34;`).MatchString(diff) ||
		!regexp.MustCompile(`class="dadd">(\+|&#43;)\s+&#34;description&#34;: &#34;like B-2&#34;`).MatchString(diff) ||
		strings.Count(diff, `class="dadd"`) != 1 {
		t.Errorf("diff of v1 and v2 lacks the changed line: %s", regexp.MustCompile(`(?s)<pre class="diff".*?</pre>`).FindString(diff))
	}

	// An invalid draft cannot be published; the page says why.
	b.mustPost("/ui/tools/"+toolID, url.Values{"definition": {`{"name":"get_order","description":"short","url":"ftp://x"}`}})
	if p := b.post("/ui/tools/"+toolID+"/publish", nil); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "url") {
		t.Errorf("publishing an invalid draft: %d, want 422 naming the field: %.300s", p.status, p.body)
	}
	b.mustPost("/ui/tools/"+toolID, url.Values{"definition": {edited}})

	// Call it over the API; the run shows in the list and on its page.
	_, key := e.agentWithKey("bot", "get_order")
	r := e.must(200, "POST", "/v1/tools/get_order/call", key, map[string]any{"arguments": map[string]any{"order_id": "A-1"},
		"context": map[string]any{"conversation_id": "c-42"}})
	runID := r.str("run_id")
	if list := b.mustGet("/ui/runs?tool=get_order&outcome=success"); !strings.Contains(list, runID) {
		t.Errorf("runs list filtered by tool and outcome lacks the run")
	}
	if list := b.mustGet("/ui/runs?outcome=timeout"); strings.Contains(list, runID) {
		t.Errorf("runs list filtered by another outcome shows the run")
	}
	if p := b.get("/ui/runs?since=yesterday"); p.status != http.StatusBadRequest {
		t.Errorf("bad time filter: %d, want 400", p.status)
	}
	run := b.mustGet("/ui/runs/" + runID)
	for _, want := range []string{up.URL + "/orders/A-1", "shipped", "curl -X GET", "dns", "first byte", "c-42"} {
		if !strings.Contains(run, want) {
			t.Errorf("run page lacks %q", want)
		}
	}
	if tl := b.mustGet("/ui/conversations/c-42"); !strings.Contains(tl, runID) {
		t.Errorf("conversation timeline lacks the run")
	}

	// Replay with edited arguments: a new run linked to the old.
	loc = b.mustPost("/ui/runs/"+runID+"/replay", url.Values{"arguments": {`{"order_id":"B-7"}`}})
	newID := strings.TrimPrefix(loc, "/ui/runs/")
	if newID == runID || newID == "" {
		t.Fatalf("replay redirected to %q", loc)
	}
	replayed := b.mustGet(loc)
	if !strings.Contains(replayed, `id="replay-of"`) || !strings.Contains(replayed, runID) || !strings.Contains(replayed, "/orders/B-7") {
		t.Errorf("replayed run page lacks the link to the old run or the edited arguments")
	}
	if up.last(t).Path != "/orders/B-7" {
		t.Errorf("upstream got %s, want /orders/B-7", up.last(t).Path)
	}
	if p := b.post("/ui/runs/"+runID+"/replay", url.Values{"arguments": {`{not json`}}); p.status != http.StatusBadRequest {
		t.Errorf("replay with bad JSON: %d, want 400", p.status)
	}

	// Invalid arguments show the validation errors.
	r = e.must(422, "POST", "/v1/tools/get_order/call", key, map[string]any{"arguments": map[string]any{"verbose": "yes"}})
	if inv := b.mustGet("/ui/runs/" + r.str("run_id")); !strings.Contains(inv, `id="validation"`) || !strings.Contains(inv, "order_id") {
		t.Errorf("invalid run page lacks the validation errors")
	}

	// Try it: a send opens the new run.
	loc = b.mustPost("/ui/tools/"+toolID+"/try", url.Values{"arguments": {`{"order_id":"T-1"}`}, "mode": {"send"}})
	if p := b.mustGet(loc); !strings.Contains(p, "/orders/T-1") {
		t.Errorf("tried run lacks its request")
	}

	// Revoking a key through the console stops it.
	agents := b.mustGet("/ui/agents")
	agentID := regexp.MustCompile(`/ui/agents/([0-9a-f-]+)"`).FindStringSubmatch(agents)[1]
	keys, err := e.store.APIKeyList(context.Background(), findSession(t, e, jarSession(t, b)).WorkspaceID, store.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	var keyID string
	for _, k := range keys {
		if k.AgentID == agentID {
			keyID = k.ID
		}
	}
	b.mustGet("/ui/agents/" + agentID)
	b.mustPost("/ui/agents/"+agentID+"/keys/"+keyID+"/revoke", nil)
	if r := e.do("POST", "/v1/tools/get_order/call", key, map[string]any{"arguments": map[string]any{"order_id": "A-1"}}); r.status != 401 {
		t.Errorf("revoked key: %d, want 401", r.status)
	}
}

// jarSession is the browser's session cookie value.
func jarSession(t *testing.T, b *browser) string {
	u, _ := url.Parse(b.e.server.URL + "/ui/runs")
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "toolgate_session" {
			return c.Value
		}
	}
	t.Fatal("no session cookie in the jar")
	return ""
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

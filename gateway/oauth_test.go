package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/oauth/oauthtest"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/testdb"
)

// oauthEnv is a gateway with an OAuth2 connection "crm" to a real
// authorization server on loopback, a published tool "me" calling its
// protected API, an agent key for the tool, and a clock for the token
// manager that moves only when told.
type oauthEnv struct {
	*env
	as     *oauthtest.Server
	clock  *oauthtest.Clock
	connID string
	key    string
}

func newOAuthEnv(t *testing.T, newStore func(testing.TB) store.Store, authType string) *oauthEnv {
	t.Helper()
	clock := oauthtest.NewClock()
	e := newEnv(t, newStore, envOptions{now: clock.Now})
	return setupOAuth(e, clock, authType)
}

func setupOAuth(e *env, clock *oauthtest.Clock, authType string) *oauthEnv {
	as := oauthtest.New(e.t, oauthtest.Options{})
	auth := map[string]any{"type": authType, "token_url": as.TokenURL, "client_id": oauthtest.ClientID, "scopes": []string{"read", "write"}}
	if authType == "oauth2_authorization_code" {
		auth["authorize_url"] = as.AuthorizeURL
	}
	conn := e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "crm", "base_url": as.URL, "auth": auth, "secrets": map[string]any{"client_secret": oauthtest.ClientSecret}})
	e.publishTool(map[string]any{"name": "me", "description": "Reads the signed-in CRM user, for OAuth tests.",
		"method": "GET", "connection": "crm", "path": "/api/me",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{}}})
	_, key := e.agentWithKey("bot", "me")
	return &oauthEnv{env: e, as: as, clock: clock, connID: conn.str("id"), key: key}
}

// connect runs the authorization-code flow through the admin API and the
// callback, as an admin's browser would, and returns the callback page.
func (o *oauthEnv) connect() string {
	o.t.Helper()
	r := o.must(200, "POST", "/v1/admin/connections/"+o.connID+"/oauth/authorize", o.admin, nil)
	cb := followToCallback(o.t, r.str("authorize_url"))
	status, page := get(o.t, cb.String())
	if status != http.StatusOK || !strings.Contains(page, "connected") {
		o.t.Fatalf("callback: status %d, page %s", status, page)
	}
	return cb.String()
}

func followToCallback(t testing.TB, authorizeURL string) *url.URL {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d, want 302; body %s", resp.StatusCode, body)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func get(t testing.TB, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// call calls the tool and returns the answer.
func (o *oauthEnv) call() *response {
	o.t.Helper()
	return o.must(200, "POST", "/v1/tools/me/call", o.key, map[string]any{"arguments": map[string]any{}})
}

func (o *oauthEnv) wantOutcome(r *response, want string) {
	o.t.Helper()
	if got := r.str("outcome"); got != want {
		o.t.Fatalf("outcome = %q, want %q; body %s", got, want, r.raw)
	}
}

func (o *oauthEnv) wantRequests(grant string, want int) {
	o.t.Helper()
	if got := o.as.Requests(grant); got != want {
		o.t.Fatalf("%s token requests = %d, want %d", grant, got, want)
	}
}

func (o *oauthEnv) oauthStatus() map[string]any {
	o.t.Helper()
	r := o.must(200, "GET", "/v1/admin/connections/"+o.connID, o.admin, nil)
	st, _ := r.at("oauth").(map[string]any)
	if st == nil {
		o.t.Fatalf("connection view has no oauth block: %s", r.raw)
	}
	return st
}

func (o *oauthEnv) pastExpiry() { o.clock.Advance(time.Hour - oauth.SkewDefault + time.Second) }

func TestOAuth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("authorization_code", func(t *testing.T) { testOAuthAuthorizationCode(t, newStore) })
		t.Run("client_credentials", func(t *testing.T) { testOAuthClientCredentials(t, newStore) })
		t.Run("401_refresh_retry", func(t *testing.T) { testOAuth401(t, newStore) })
		t.Run("needs_reauth", func(t *testing.T) { testOAuthNeedsReauth(t, newStore) })
		t.Run("concurrent_expiry", func(t *testing.T) { testOAuthConcurrentExpiry(t, newStore) })
		t.Run("callback_errors", func(t *testing.T) { testOAuthCallbackErrors(t, newStore) })
	})
}

func testOAuthAuthorizationCode(t *testing.T, newStore func(testing.TB) store.Store) {
	o := newOAuthEnv(t, newStore, "oauth2_authorization_code")
	if st := o.oauthStatus(); st["status"] != "not_connected" {
		t.Fatalf("status before authorizing = %v", st)
	}
	r := o.call()
	o.wantOutcome(r, "auth_error")
	if msg := r.str("error.message"); !strings.Contains(msg, "authorize") {
		t.Fatalf("message for an unconnected connection does not say what to do: %q", msg)
	}

	auth := o.must(200, "POST", "/v1/admin/connections/"+o.connID+"/oauth/authorize", o.admin, nil)
	au, err := url.Parse(auth.str("authorize_url"))
	if err != nil {
		t.Fatal(err)
	}
	q := au.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" ||
		q.Get("redirect_uri") != o.server.URL+"/v1/oauth/callback" || q.Get("scope") != "read write" {
		t.Fatalf("authorize URL = %s", au)
	}
	cb := followToCallback(t, au.String())
	status, page := get(t, cb.String())
	if status != http.StatusOK || !strings.Contains(page, "connection crm is connected") {
		t.Fatalf("callback: status %d, page %s", status, page)
	}
	if status, _ := get(t, cb.String()); status != http.StatusBadRequest {
		t.Fatalf("replayed callback: status %d, want 400", status)
	}
	o.wantRequests("authorization_code", 1)

	st := o.oauthStatus()
	if st["status"] != "connected" || st["expires_at"] == nil || st["last_refreshed_at"] == nil || st["last_error"] != "" {
		t.Fatalf("status = %v", st)
	}
	if scopes, _ := json.Marshal(st["scopes"]); string(scopes) != `["read","write"]` {
		t.Fatalf("scopes = %s", scopes)
	}

	call := o.call()
	o.wantOutcome(call, "success")
	if user, _ := call.at("result.user").(string); user != oauthtest.UserID {
		t.Fatalf("result = %s", call.raw)
	}
	o.call()
	o.wantRequests("refresh_token", 0) // a valid token is reused
	checkNoTokenLeaks(o, call)
}

// checkNoTokenLeaks looks for every token and the client secret in the call
// answer, the run record, the admin views and the logs.
func checkNoTokenLeaks(o *oauthEnv, call *response) {
	o.t.Helper()
	if err := o.recorder.Flush(context.Background()); err != nil {
		o.t.Fatal(err)
	}
	run := o.must(200, "GET", "/v1/admin/runs/"+call.str("run_id"), o.admin, nil)
	stored, err := o.store.RunGet(context.Background(), mustWorkspace(o.t, o.env), call.str("run_id"))
	if err != nil {
		o.t.Fatal(err)
	}
	conn := o.must(200, "GET", "/v1/admin/connections/"+o.connID, o.admin, nil)
	list := o.must(200, "GET", "/v1/admin/connections", o.admin, nil)
	everything := string(call.raw) + string(run.raw) + string(conn.raw) + string(list.raw) + o.logs.String() +
		string(stored.Request) + string(stored.Response) + string(stored.Result) + stored.Error
	secrets := []string{oauthtest.ClientSecret}
	for _, is := range o.as.Issued() {
		secrets = append(secrets, is.AccessToken)
		if is.RefreshToken != "" {
			secrets = append(secrets, is.RefreshToken)
		}
	}
	for _, s := range secrets {
		if strings.Contains(everything, s) {
			o.t.Errorf("a token or the client secret leaked into a response, run record or log")
		}
	}
	if !strings.Contains(string(run.raw), "[REDACTED]") {
		o.t.Errorf("the run shows no redaction marker: %s", run.raw)
	}
}

func testOAuthClientCredentials(t *testing.T, newStore func(testing.TB) store.Store) {
	o := newOAuthEnv(t, newStore, "oauth2_client_credentials")
	first := o.call()
	o.wantOutcome(first, "success")
	if client, _ := first.at("result.client").(string); client != oauthtest.ClientID {
		t.Fatalf("result = %s", first.raw)
	}
	o.call()
	o.wantRequests("client_credentials", 1)
	o.pastExpiry()
	o.wantOutcome(o.call(), "success")
	o.wantRequests("client_credentials", 2)

	o.must(200, "POST", "/v1/admin/connections/"+o.connID+"/oauth/refresh", o.admin, nil)
	o.wantRequests("client_credentials", 3)
	if st := o.oauthStatus(); st["status"] != "connected" {
		t.Fatalf("status = %v", st)
	}
	o.must(204, "DELETE", "/v1/admin/connections/"+o.connID+"/oauth", o.admin, nil)
	if st := o.oauthStatus(); st["status"] != "not_connected" {
		t.Fatalf("status after forgetting = %v", st)
	}
	o.wantOutcome(o.call(), "success") // client credentials fetch a token again
	o.wantRequests("client_credentials", 4)
	checkNoTokenLeaks(o, first)
}

func testOAuth401(t *testing.T, newStore func(testing.TB) store.Store) {
	o := newOAuthEnv(t, newStore, "oauth2_authorization_code")
	o.connect()
	o.wantOutcome(o.call(), "success")
	// The provider revokes the access token before its expiry: the call
	// gets a 401, refreshes once and retries once.
	o.as.RevokeAccess(t, o.as.Last(t).AccessToken)
	r := o.call()
	o.wantOutcome(r, "success")
	o.wantRequests("refresh_token", 1)
	checkNoTokenLeaks(o, r)

	// An upstream that refuses every token: one refresh, one retry, then
	// auth_error.
	rejecting := 0
	var mu sync.Mutex
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		rejecting++
		mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return true
	})
	o.must(200, "PATCH", "/v1/admin/connections/"+o.connID, o.admin, map[string]any{"base_url": up.URL})
	r = o.call()
	o.wantOutcome(r, "auth_error")
	o.wantRequests("refresh_token", 2)
	mu.Lock()
	defer mu.Unlock()
	if rejecting != 2 {
		t.Fatalf("upstream got %d requests, want 2 (the call and one retry)", rejecting)
	}
}

func testOAuthNeedsReauth(t *testing.T, newStore func(testing.TB) store.Store) {
	o := newOAuthEnv(t, newStore, "oauth2_authorization_code")
	o.connect()
	o.as.RevokeRefresh(t, o.as.Last(t).RefreshToken)
	o.pastExpiry()
	for range 3 {
		r := o.call()
		o.wantOutcome(r, "auth_error")
		if msg := r.str("error.message"); !strings.Contains(msg, "connection crm needs to be re-authorized by an admin") {
			t.Fatalf("message = %q", msg)
		}
	}
	o.wantRequests("refresh_token", 1) // later calls fail fast
	st := o.oauthStatus()
	if st["status"] != "needs_reauth" || !strings.Contains(st["last_error"].(string), "invalid_grant") {
		t.Fatalf("status = %v", st)
	}
	// A forced refresh is an admin's act: it asks once more and says why
	// it failed.
	r := o.must(409, "POST", "/v1/admin/connections/"+o.connID+"/oauth/refresh", o.admin, nil)
	if r.str("error.type") != "needs_reauth" {
		t.Fatalf("forced refresh: %s", r.raw)
	}
	o.wantRequests("refresh_token", 2)

	o.connect()
	o.wantOutcome(o.call(), "success")
	if st := o.oauthStatus(); st["status"] != "connected" || st["last_error"] != "" {
		t.Fatalf("status after re-authorizing = %v", st)
	}
}

// testOAuthConcurrentExpiry: 50 calls at expiry make one token request.
func testOAuthConcurrentExpiry(t *testing.T, newStore func(testing.TB) store.Store) {
	o := newOAuthEnv(t, newStore, "oauth2_authorization_code")
	o.connect()
	o.wantOutcome(o.call(), "success")
	o.pastExpiry()
	callConcurrently(t, 50, func(int) *oauthEnv { return o })
	o.wantRequests("refresh_token", 1)
	t.Logf("50 concurrent tool calls at expiry: %d refresh_token request(s)", o.as.Requests("refresh_token"))
}

// callConcurrently makes n tool calls released together, through the
// gateway pick(i) chooses, and wants every one to succeed.
func callConcurrently(t *testing.T, n int, pick func(int) *oauthEnv) {
	t.Helper()
	start := make(chan struct{})
	outcomes := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			o := pick(i)
			req, _ := http.NewRequest("POST", o.server.URL+"/v1/tools/me/call", strings.NewReader(`{"arguments":{}}`))
			req.Header.Set("Authorization", "Bearer "+o.key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				outcomes[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			var body struct {
				Outcome string `json:"outcome"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			outcomes[i] = body.Outcome
		})
	}
	close(start)
	wg.Wait()
	for i, got := range outcomes {
		if got != "success" {
			t.Fatalf("call %d: outcome %q", i, got)
		}
	}
}

func testOAuthCallbackErrors(t *testing.T, newStore func(testing.TB) store.Store) {
	o := newOAuthEnv(t, newStore, "oauth2_authorization_code")
	if status, page := get(t, o.server.URL+"/v1/oauth/callback?code=x&state=forged"); status != http.StatusBadRequest || !strings.Contains(page, "start it again") {
		t.Fatalf("forged state: status %d, page %s", status, page)
	}
	auth := o.must(200, "POST", "/v1/admin/connections/"+o.connID+"/oauth/authorize", o.admin, nil)
	au, _ := url.Parse(auth.str("authorize_url"))
	q := url.Values{"state": {au.Query().Get("state")}, "error": {"access_denied"},
		"error_description": {`<script>alert("x")</script>`}}
	status, page := get(t, o.server.URL+"/v1/oauth/callback?"+q.Encode())
	if status != http.StatusBadRequest || strings.Contains(page, "<script>") ||
		!strings.Contains(page, "&lt;script&gt;") || !strings.Contains(page, "access_denied") {
		t.Fatalf("provider error: status %d, page %s", status, page)
	}
	if st := o.oauthStatus(); st["status"] != "not_connected" {
		t.Fatalf("status = %v", st)
	}
	// Not an authorization-code connection: no browser flow.
	conn := o.must(201, "POST", "/v1/admin/connections", o.admin, map[string]any{"name": "plain", "base_url": o.as.URL})
	o.must(409, "POST", "/v1/admin/connections/"+conn.str("id")+"/oauth/authorize", o.admin, nil)
	o.must(404, "POST", "/v1/admin/connections/nope/oauth/authorize", o.admin, nil)
	if n := o.as.TokenRequests(); n != 0 {
		t.Fatalf("%d token requests for refused callbacks", n)
	}
}

// TestOAuthTwoGatewaysOnePostgres: two gateways sharing one PostgreSQL
// database, 25 calls each at expiry, make exactly one token request.
func TestOAuthTwoGatewaysOnePostgres(t *testing.T) {
	dsn := testdb.PostgresURL(t)
	open := func(tb testing.TB) store.Store {
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { st.Close() })
		return st
	}
	o1 := newOAuthEnv(t, open, "oauth2_authorization_code")
	o2 := &oauthEnv{env: o1.replica(open(t)), as: o1.as, clock: o1.clock, connID: o1.connID, key: o1.key}
	o1.connect()
	o1.wantOutcome(o1.call(), "success")
	o2.wantOutcome(o2.call(), "success")
	o1.pastExpiry()
	callConcurrently(t, 50, func(i int) *oauthEnv {
		if i%2 == 0 {
			return o1
		}
		return o2
	})
	o1.wantRequests("refresh_token", 1)
	t.Logf("two gateways on one database, 50 tool calls at expiry: %d refresh_token request(s)", o1.as.Requests("refresh_token"))
}

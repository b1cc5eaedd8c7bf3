package oauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/oauth/oauthtest"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// fixture is a manager over a real store, talking to a real authorization
// server on loopback, with a clock that moves only when told.
type fixture struct {
	t     *testing.T
	as    *oauthtest.Server
	st    store.Store
	box   *secrets.Box
	clock *oauthtest.Clock
	m     *oauth.Manager
	ws    string
	conn  *tools.Connection
	logs  *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func newFixture(t *testing.T, st store.Store, authType string) *fixture {
	t.Helper()
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, as: oauthtest.New(t, oauthtest.Options{}), st: st, box: box, clock: oauthtest.NewClock(), logs: &syncBuffer{}}
	ctx := context.Background()
	ws, err := tenant.Create(ctx, st, box, "default")
	if err != nil {
		t.Fatal(err)
	}
	f.ws = ws.ID
	auth := tools.Auth{Type: authType, TokenURL: f.as.TokenURL, ClientID: oauthtest.ClientID, Scopes: []string{"read"}}
	if authType == tools.AuthOAuth2AuthorizationCode {
		auth.AuthorizeURL = f.as.AuthorizeURL
		auth.ExtraAuthorizeParams = map[string]string{"prompt": "consent", "state": "ignored"}
	}
	rawAuth, _ := json.Marshal(auth)
	now := time.Now().UTC()
	sc := &store.Connection{ID: store.NewID(), WorkspaceID: ws.ID, Name: "crm", BaseURL: f.as.URL, Auth: rawAuth,
		CreatedAt: now, UpdatedAt: now}
	if err := tools.SealSecrets(box, sc, map[string]string{tools.SecretClientSecret: oauthtest.ClientSecret}); err != nil {
		t.Fatal(err)
	}
	if err := st.ConnectionInsert(ctx, sc); err != nil {
		t.Fatal(err)
	}
	if f.conn, err = tools.OpenConnection(box, sc); err != nil {
		t.Fatal(err)
	}
	f.m = f.newManager(st)
	return f
}

// newManager builds a manager over st sharing the fixture's box and clock
// (a gateway restart, or another replica).
func (f *fixture) newManager(st store.Store) *oauth.Manager {
	f.t.Helper()
	client := egress.New(egress.Config{AllowNetworks: loopback})
	f.t.Cleanup(client.CloseIdleConnections)
	m, err := oauth.New(oauth.Config{Store: st, Box: f.box, HTTPClient: client.HTTPClient(), PublicURL: "http://127.0.0.1:9",
		Now: f.clock.Now, Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(f.logs, nil))})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// authorize runs the authorization-code flow as a browser would: open the
// authorize URL, follow the provider's redirect to the callback.
func (f *fixture) authorize() {
	f.t.Helper()
	ctx := context.Background()
	u, err := f.m.AuthorizeURL(ctx, f.ws, f.conn)
	if err != nil {
		f.t.Fatal(err)
	}
	q := mustParse(f.t, u).Query()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
		f.t.Fatalf("authorize URL lacks a PKCE S256 challenge: %s", u)
	}
	if q.Get("prompt") != "consent" || q.Get("state") == "ignored" {
		f.t.Fatalf("extra authorize params not applied as expected: %s", u)
	}
	callback := followToCallback(f.t, u)
	cq := callback.Query()
	res, err := f.m.Callback(ctx, oauth.CallbackParams{State: cq.Get("state"), Code: cq.Get("code")})
	if err != nil {
		f.t.Fatalf("callback: %v", err)
	}
	if res.ConnectionName != "crm" {
		f.t.Fatalf("callback finished %q, want crm", res.ConnectionName)
	}
}

func mustParse(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// followToCallback opens an authorize URL (the test server approves at
// once) and returns where the provider redirects the browser.
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
	return mustParse(t, resp.Header.Get("Location"))
}

// token gets a token and checks that the protected API accepts it.
func (f *fixture) token() string {
	f.t.Helper()
	tok, err := f.m.Token(context.Background(), f.ws, f.conn, "")
	if err != nil {
		f.t.Fatalf("Token: %v", err)
	}
	f.checkAccepted(tok)
	return tok
}

func (f *fixture) checkAccepted(tok string) {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.as.APIURL, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("the API refused the token: status %d", resp.StatusCode)
	}
}

// pastExpiry moves the clock into the refresh window of a 1h token.
func (f *fixture) pastExpiry() { f.clock.Advance(time.Hour - oauth.SkewDefault + time.Second) }

func (f *fixture) wantRequests(grant string, want int) {
	f.t.Helper()
	if got := f.as.Requests(grant); got != want {
		f.t.Fatalf("%s token requests = %d, want %d", grant, got, want)
	}
}

func TestClientCredentials(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), tools.AuthOAuth2ClientCredentials)
	first := f.token()
	f.wantRequests("client_credentials", 1)
	if again := f.token(); again != first {
		t.Fatal("a valid cached token was not reused")
	}
	f.clock.Advance(time.Hour - oauth.SkewDefault - time.Second) // just before the refresh window
	if again := f.token(); again != first {
		t.Fatal("the token was replaced before the refresh window")
	}
	f.wantRequests("client_credentials", 1)
	f.clock.Advance(2 * time.Second) // inside the window
	if next := f.token(); next == first {
		t.Fatal("the token was not refreshed ahead of expiry")
	}
	f.wantRequests("client_credentials", 2)

	st, err := f.m.Status(context.Background(), f.ws, f.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != oauth.StatusConnected || st.ExpiresAt == nil || strings.Join(st.Scopes, " ") != "read" || st.LastRefreshedAt == nil {
		t.Fatalf("status = %+v", st)
	}
}

func TestAuthorizationCodeRotationSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "toolgate.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, st, tools.AuthOAuth2AuthorizationCode)
	f.authorize()
	f.wantRequests("authorization_code", 1)
	r1 := f.as.Last(t).RefreshToken
	a1 := f.token()
	f.wantRequests("refresh_token", 0)

	f.pastExpiry()
	a2 := f.token()
	f.wantRequests("refresh_token", 1)
	r2 := f.as.Last(t).RefreshToken
	if a2 == a1 || r2 == "" || r2 == r1 {
		t.Fatal("the server did not rotate the tokens")
	}
	if status, code := f.as.RefreshDirectly(t, r1); code != "invalid_grant" {
		t.Fatalf("the used refresh token still works: status %d, error %q", status, code)
	}

	// Restart: close the store, open the file again with a new manager.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	f.m = f.newManager(st2)
	if got := f.token(); got != a2 {
		t.Fatal("after a restart the stored access token was not used")
	}
	f.pastExpiry()
	a3 := f.token() // only works with r2: r1 is dead
	f.wantRequests("refresh_token", 2)
	if a3 == a2 {
		t.Fatal("no new token after the restart")
	}
	for _, secret := range []string{a1, a2, a3, r1, r2, oauthtest.ClientSecret} {
		if strings.Contains(f.logs.String(), secret) {
			t.Fatal("a token or secret reached the logs")
		}
	}
}

func TestRevokedRefreshTokenNeedsReauth(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), tools.AuthOAuth2AuthorizationCode)
	ctx := context.Background()
	f.authorize()
	f.as.RevokeRefresh(t, f.as.Last(t).RefreshToken)
	f.pastExpiry()
	for i := range 3 {
		rejected := ""
		if i == 2 {
			rejected = "the-token-the-upstream-refused"
		}
		_, err := f.m.Token(ctx, f.ws, f.conn, rejected)
		if !errors.Is(err, tools.ErrNeedsReauth) || !errors.Is(err, oauth.ErrNeedsReauth) {
			t.Fatalf("call %d: err = %v, want ErrNeedsReauth", i, err)
		}
	}
	f.wantRequests("refresh_token", 1) // later calls fail fast
	st, err := f.m.Status(ctx, f.ws, f.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != oauth.StatusNeedsReauth || !strings.Contains(st.LastError, "invalid_grant") {
		t.Fatalf("status = %+v", st)
	}

	// An admin authorizes again: calls work.
	f.authorize()
	f.token()
	if st, _ := f.m.Status(ctx, f.ws, f.conn.ID); st.Status != oauth.StatusConnected || st.LastError != "" {
		t.Fatalf("status after re-authorization = %+v", st)
	}
}

func TestNotConnected(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), tools.AuthOAuth2AuthorizationCode)
	_, err := f.m.Token(context.Background(), f.ws, f.conn, "")
	if !errors.Is(err, oauth.ErrNotConnected) {
		t.Fatalf("err = %v, want ErrNotConnected", err)
	}
	if f.as.TokenRequests() != 0 {
		t.Fatal("a token request was sent for a connection without tokens")
	}
}

func TestCallbackState(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), tools.AuthOAuth2AuthorizationCode)
	ctx := context.Background()
	u, err := f.m.AuthorizeURL(ctx, f.ws, f.conn)
	if err != nil {
		t.Fatal(err)
	}
	cb := followToCallback(t, u).Query()
	if _, err := f.m.Callback(ctx, oauth.CallbackParams{State: "forged", Code: cb.Get("code")}); !errors.Is(err, oauth.ErrInvalidState) {
		t.Fatalf("forged state: err = %v", err)
	}
	f.clock.Advance(oauth.StateTTL + time.Second)
	if _, err := f.m.Callback(ctx, oauth.CallbackParams{State: cb.Get("state"), Code: cb.Get("code")}); !errors.Is(err, oauth.ErrInvalidState) {
		t.Fatalf("expired state: err = %v", err)
	}
	if n := f.as.TokenRequests(); n != 0 {
		t.Fatalf("%d token requests for refused callbacks", n)
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	f := newFixture(t, testdb.SQLite(t), tools.AuthOAuth2ClientCredentials)
	ctx := context.Background()
	f.as.FailNext(503, 502)
	f.token() // retried twice with backoff, then served
	f.wantRequests("client_credentials", 3)

	f.pastExpiry()
	f.as.FailNext(400)
	_, err := f.m.Token(ctx, f.ws, f.conn, "")
	var te *oauth.TokenEndpointError
	if !errors.As(err, &te) || te.StatusCode != 400 {
		t.Fatalf("err = %v, want a 400 TokenEndpointError", err)
	}
	f.wantRequests("client_credentials", 4) // 4xx is not retried

	f.as.FailNext(503, 503, 503)
	if _, err := f.m.Token(ctx, f.ws, f.conn, ""); !errors.As(err, &te) || te.StatusCode != 503 {
		t.Fatalf("err = %v, want a 503 TokenEndpointError", err)
	}
	f.wantRequests("client_credentials", 7) // MaxAttemptsDefault tries
	if st, _ := f.m.Status(ctx, f.ws, f.conn.ID); st.Status != oauth.StatusConnected || !strings.Contains(st.LastError, "503") {
		t.Fatalf("status = %+v", st)
	}
	f.token()
	f.wantRequests("client_credentials", 8)
}

// TestConcurrentRefresh: 50 calls at expiry make exactly one token request.
func TestConcurrentRefresh(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		f := newFixture(t, newStore(t), tools.AuthOAuth2AuthorizationCode)
		f.authorize()
		old := f.token()
		f.pastExpiry()
		tokens := concurrently(t, 50, func(int) *oauth.Manager { return f.m }, f)
		f.wantRequests("refresh_token", 1)
		for _, tok := range tokens {
			if tok == old || tok != tokens[0] {
				t.Fatal("the calls did not all get the one refreshed token")
			}
		}
		f.checkAccepted(tokens[0])
		t.Logf("50 concurrent calls at expiry: %d refresh_token request(s)", f.as.Requests("refresh_token"))
	})
}

// TestTwoReplicasRefreshOnce: two managers over two PostgreSQL pools of one
// database, 25 calls each at expiry, make exactly one token request.
func TestTwoReplicasRefreshOnce(t *testing.T) {
	dsn := testdb.PostgresURL(t)
	open := func() store.Store {
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	st1, st2 := open(), open()
	f := newFixture(t, st1, tools.AuthOAuth2AuthorizationCode)
	m2 := f.newManager(st2)
	f.authorize()
	f.token()
	f.pastExpiry()
	tokens := concurrently(t, 50, func(i int) *oauth.Manager {
		if i%2 == 0 {
			return f.m
		}
		return m2
	}, f)
	f.wantRequests("refresh_token", 1)
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatal("the replicas handed out different tokens")
		}
	}
	f.checkAccepted(tokens[0])
	t.Logf("two replicas, 50 calls at expiry: %d refresh_token request(s)", f.as.Requests("refresh_token"))
}

// concurrently makes n Token calls released together and returns the
// tokens.
func concurrently(t *testing.T, n int, manager func(int) *oauth.Manager, f *fixture) []string {
	t.Helper()
	start := make(chan struct{})
	tokens := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			tokens[i], errs[i] = manager(i).Token(context.Background(), f.ws, f.conn, "")
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	return tokens
}

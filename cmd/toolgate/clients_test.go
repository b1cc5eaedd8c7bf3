package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toolgate/toolgate/app"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
)

// testGateway is a gateway served in this process over a SQLite file, as
// the client commands (apply, export, import) see it, with a log of the
// requests that write.
type testGateway struct {
	t   *testing.T
	url string
	key string

	mu     sync.Mutex
	writes []string
	// said is every stdout, stderr and error of the commands run against
	// the gateway: no secret may be in any (checked at the test's end).
	said []string
}

// testSecrets are the secret values tests give the client commands (in
// the environment, or literally in files): never printed.
var testSecrets = []string{"s3cr3t-token", "long-random-vapi-secret", "another-vapi-secret", "hunter2", "literal-value"}

// checkSaid fails the test if a command run against g printed a secret
// or the admin key.
func (g *testGateway) checkSaid() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, text := range g.said {
		for _, secret := range append([]string{g.key}, testSecrets...) {
			if strings.Contains(text, secret) {
				g.t.Errorf("a command's output %d holds a secret's value (%.4s...):\n%s", i, secret, text)
			}
		}
	}
}

// newTestGateway starts a gateway with one workspace and its admin key;
// upstream calls and imports may reach loopback.
func newTestGateway(t *testing.T) *testGateway {
	t.Helper()
	ctx := context.Background()
	st := testdb.SQLite(t)
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := tenant.Create(ctx, st, box, "default")
	if err != nil {
		t.Fatal(err)
	}
	key, err := tenant.AddAdminKey(ctx, st, ws.ID, "cli test", "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Config{Store: st, Box: box, WithoutQueue: true,
		AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	g := &testGateway{t: t, key: key}
	handler := a.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && !strings.HasSuffix(r.URL.Path, "/validate") {
			g.mu.Lock()
			g.writes = append(g.writes, r.Method+" "+r.URL.Path)
			g.mu.Unlock()
		}
		handler.ServeHTTP(w, r)
	}))
	g.url = hs.URL
	t.Cleanup(g.checkSaid)
	t.Cleanup(func() {
		hs.Close()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := a.Stop(sctx); err != nil {
			t.Errorf("stopping the gateway: %v", err)
		}
	})
	return g
}

// writeCount is how many writing requests the gateway has served.
func (g *testGateway) writeCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.writes)
}

// writesSince lists the writing requests after the first n.
func (g *testGateway) writesSince(n int) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.writes[n:]...)
}

// env is the environment of a client command calling g, with extra
// variables.
func (g *testGateway) env(extra ...string) map[string]string {
	env := map[string]string{"TOOLGATE_URL": g.url, "TOOLGATE_ADMIN_KEY": g.key}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// run runs a toolgate command line against g and returns its output.
func (g *testGateway) run(env map[string]string, args ...string) (stdout, stderr string, err error) {
	g.t.Helper()
	var out, errs bytes.Buffer
	err = run(context.Background(), args, envOf(env), &out, &errs)
	g.mu.Lock()
	g.said = append(g.said, out.String(), errs.String())
	if err != nil {
		g.said = append(g.said, err.Error())
	}
	g.mu.Unlock()
	return out.String(), errs.String(), err
}

// get reads an admin API resource.
func (g *testGateway) get(path string, out any) {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+g.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		g.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		g.t.Fatal(err)
	}
}

// byName finds an object of an admin list by name.
func (g *testGateway) byName(collection, name string) map[string]any {
	g.t.Helper()
	var list struct {
		Items []map[string]any `json:"items"`
	}
	g.get("/v1/admin/"+collection+"?limit=500", &list)
	for _, item := range list.Items {
		if item["name"] == name {
			return item
		}
	}
	return nil
}

// writeFiles writes files (path relative to dir → content) and returns
// dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// planLines are the lines of apply's output that are plan lines.
func planLines(out string) []string {
	var lines []string
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if len(line) > 2 && strings.ContainsRune("+~-=", rune(line[0])) && line[1] == ' ' {
			lines = append(lines, line)
		}
	}
	return lines
}

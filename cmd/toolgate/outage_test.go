package main_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"
)

// needRoot skips a test that mounts filesystems or runs a database server
// of its own outside CI, and fails it in CI (where it must run).
func needRoot(t *testing.T, what string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s needs root, which CI has", what)
	}
	t.Skipf("%s needs root; run as root (CI does) to include it", what)
}

// load is calls made in a loop by a few workers until stopped, remembering
// the run ID of every call answered with a result.
type load struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	answered map[string]bool // run IDs of 200 answers
	refused  int             // 503: refused before anything was sent
	failed   int             // any other answer
}

func startLoad(t *testing.T, g *gateway, key string, workers int) *load {
	l := &load{stop: make(chan struct{}), answered: map[string]bool{}}
	client := &http.Client{Timeout: 30 * time.Second}
	for range workers {
		l.wg.Go(func() {
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", g.url+"/v1/tools/note/call", strings.NewReader(`{"arguments":{"text":"hello"}}`))
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err != nil {
					l.mu.Lock()
					l.failed++
					l.mu.Unlock()
					continue
				}
				var out struct {
					RunID   string `json:"run_id"`
					Outcome string `json:"outcome"`
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				_ = json.Unmarshal(body, &out)
				l.mu.Lock()
				switch {
				case resp.StatusCode == 200 && out.RunID != "":
					l.answered[out.RunID] = true
				case resp.StatusCode == 503:
					l.refused++
				default:
					l.failed++
				}
				l.mu.Unlock()
			}
		})
	}
	return l
}

// calls returns how many calls were answered with a result so far.
func (l *load) calls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.answered)
}

// waitCalls waits until n more calls were answered (bounded).
func (l *load) waitCalls(t *testing.T, n int) {
	t.Helper()
	want := l.calls() + n
	deadline := time.Now().Add(2 * time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for l.calls() < want {
		if time.Now().After(deadline) {
			t.Fatalf("only %d calls answered, waiting for %d", l.calls(), want)
		}
		<-tick.C
	}
}

func (l *load) end() {
	close(l.stop)
	l.wg.Wait()
}

// setUpNote publishes a tool "note" calling upstream and returns an agent
// key for it.
func setUpNote(t *testing.T, g *gateway, upstream string) string {
	t.Helper()
	st, tool := g.api(t, "POST", "/v1/admin/tools", adminKey, map[string]any{
		"name": "note", "description": "Save a note the caller dictated.", "method": "POST", "url": upstream + "/notes",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"text": map[string]any{"type": "string"}}}})
	if st != 201 {
		t.Fatalf("create tool: %d %v", st, tool)
	}
	if st, r := g.api(t, "POST", "/v1/admin/tools/"+tool["id"].(string)+"/publish", adminKey, nil); st != 200 {
		t.Fatalf("publish: %d %v", st, r)
	}
	_, agent := g.api(t, "POST", "/v1/admin/agents", adminKey, map[string]any{"name": "bot", "tools": []any{map[string]any{"name": "note"}}})
	_, key := g.api(t, "POST", "/v1/admin/keys", adminKey, map[string]any{"name": "k", "role": "agent", "agent_id": agent["id"]})
	return key["key"].(string)
}

// stopGracefully ends the gateway with SIGTERM: it drains calls and writes
// every run it kept.
func stopGracefully(t *testing.T, g *gateway) {
	t.Helper()
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		g.cmd.Process.Kill()
		t.Fatalf("the gateway did not stop:\n%s", g.logs)
	}
}

// checkEveryRun checks that each call answered with a result has exactly
// one run record, listing the IDs the store holds.
func checkEveryRun(t *testing.T, l *load, stored map[string]int, what string) {
	t.Helper()
	missing, dup := 0, 0
	for id := range l.answered {
		switch stored[id] {
		case 0:
			missing++
		case 1:
		default:
			dup++
		}
	}
	if missing > 0 || dup > 0 {
		t.Errorf("%s: of %d calls answered with a result, %d have no run record and %d more than one", what, len(l.answered), missing, dup)
	}
	t.Logf("%s: %d calls answered with a result, %d runs stored for them, none missing; %d refused with 503 before anything was sent, %d other failures",
		what, len(l.answered), len(l.answered)-missing, l.refused, l.failed)
}

func noteUpstream(t *testing.T) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"saved":true}`)
	}))
	t.Cleanup(up.Close)
	return up
}

// TestSQLiteDiskFullLosesNoRun: the SQLite file sits on a 3 MB filesystem
// that fills up under load. Calls go on (their runs kept in memory), the
// filesystem is enlarged, and after a graceful stop every call answered
// with a result has exactly one run record.
func TestSQLiteDiskFullLosesNoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary under load")
	}
	needRoot(t, "mounting a small filesystem")
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	up := noteUpstream(t)
	db := filepath.Join(dir, "toolgate.db")
	g := start(t, binary(t), "TOOLGATE_ADDR=127.0.0.1:0", "TOOLGATE_DATABASE_URL="+db, "TOOLGATE_ADMIN_KEY="+adminKey,
		"TOOLGATE_ALLOW_NETWORKS=127.0.0.0/8")
	defer func() { g.cmd.Process.Kill(); g.cmd.Wait() }()
	key := setUpNote(t, g, up.URL)

	l := startLoad(t, g, key, 8)
	// Until the disk is full: the recorder reports failed writes.
	deadline := time.Now().Add(3 * time.Minute)
	for m := metric(t, g, "toolgate_run_recorder_write_errors_total"); m == "" || strings.HasSuffix(m, " 0"); m = metric(t, g, "toolgate_run_recorder_write_errors_total") {
		if time.Now().After(deadline) {
			t.Fatal("the 3 MB filesystem never filled")
		}
		l.waitCalls(t, 200)
	}
	l.waitCalls(t, 500) // calls go on while runs wait in memory
	if out, err := exec.Command("mount", "-o", "remount,size=512m", dir).CombinedOutput(); err != nil {
		t.Fatalf("enlarging the filesystem: %v %s", err, out)
	}
	l.waitCalls(t, 200) // and after
	l.end()
	stopGracefully(t, g)

	sdb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	rows, err := sdb.Query(`SELECT id FROM runs`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stored[id]++
	}
	rows.Close()
	checkEveryRun(t, l, stored, "SQLite on a full disk")
}

// metric returns the lines of /metrics naming name.
func metric(t *testing.T, g *gateway, name string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", g.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, name) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// postgresServer is a PostgreSQL server of this test's own, which it may
// stop and start.
type postgresServer struct {
	bin, dir string
	port     int
}

func (p *postgresServer) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

func (p *postgresServer) ctl(t *testing.T, args ...string) {
	t.Helper()
	cmd := "'" + filepath.Join(p.bin, "pg_ctl") + "' -D '" + p.dir + "' " + strings.Join(args, " ")
	if out, err := exec.Command("su", "postgres", "-c", cmd).CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl %s: %v\n%s", args[0], err, out)
	}
}

func (p *postgresServer) start(t *testing.T) {
	t.Helper()
	p.ctl(t, "-w", "-l", "'"+p.dir+"/log'", "-o", fmt.Sprintf("'-p %d -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off'", p.port), "start")
}

func (p *postgresServer) stop(t *testing.T) { p.ctl(t, "-w", "-m", "fast", "stop") }

// newPostgresServer initialises and starts a PostgreSQL server on a free
// port, stopped when the test ends.
func newPostgresServer(t *testing.T) *postgresServer {
	t.Helper()
	needRoot(t, "running a PostgreSQL server of the test's own")
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("no PostgreSQL server binaries (CI installs them)")
		}
		t.Skip("no PostgreSQL server binaries under /usr/lib/postgresql")
	}
	p := &postgresServer{bin: filepath.Dir(bins[len(bins)-1])}
	base, err := os.MkdirTemp("", "toolgate-pg-outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	p.dir = filepath.Join(base, "data")
	if out, err := exec.Command("install", "-d", "-o", "postgres", "-g", "postgres", p.dir).CombinedOutput(); err != nil {
		t.Fatalf("creating the data directory: %v %s", err, out)
	}
	_ = os.Chmod(base, 0o755)
	if out, err := exec.Command("su", "postgres", "-c", "'"+filepath.Join(p.bin, "initdb")+"' -D '"+p.dir+"' -A trust -U postgres").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p.start(t)
	t.Cleanup(func() {
		_ = exec.Command("su", "postgres", "-c", "'"+filepath.Join(p.bin, "pg_ctl")+"' -D '"+p.dir+"' -m immediate stop").Run()
	})
	return p
}

// TestPostgresOutageLosesNoRun: PostgreSQL is stopped under load for a few
// seconds and started again. Calls answered meanwhile keep their runs in
// memory; once the database is back they are written without a restart, and
// after a graceful stop every call answered with a result has exactly one
// run record.
func TestPostgresOutageLosesNoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary under load")
	}
	pg := newPostgresServer(t)
	up := noteUpstream(t)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	g := start(t, binary(t), "TOOLGATE_ADDR=127.0.0.1:0", "TOOLGATE_DATABASE_URL="+pg.url(),
		"TOOLGATE_SECRET_KEY="+base64.StdEncoding.EncodeToString(secret), "TOOLGATE_ADMIN_KEY="+adminKey,
		"TOOLGATE_ALLOW_NETWORKS=127.0.0.0/8")
	defer func() { g.cmd.Process.Kill(); g.cmd.Wait() }()
	key := setUpNote(t, g, up.URL)

	l := startLoad(t, g, key, 8)
	l.waitCalls(t, 300)
	pg.stop(t)
	stopped := time.Now()
	l.waitCalls(t, 200) // answered while the database is down (keys and tools are cached)
	if m := metric(t, g, "toolgate_run_recorder_write_errors_total"); m == "" || strings.HasSuffix(m, " 0") {
		t.Fatalf("the recorder saw no failed write while PostgreSQL was down: %q", m)
	}
	pg.start(t)
	t.Logf("PostgreSQL was down for %s under load", time.Since(stopped).Round(time.Millisecond))
	l.waitCalls(t, 300) // and after, without a restart
	l.end()
	stopGracefully(t, g)

	conn, err := pgx.Connect(context.Background(), pg.url())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT id FROM runs`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stored[id]++
	}
	rows.Close()
	checkEveryRun(t, l, stored, "PostgreSQL stopped under load")
}

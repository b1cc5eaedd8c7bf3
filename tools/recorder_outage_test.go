package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// failingStore is a real store whose writes can be made to fail the way a
// database fails, and recover.
type failingStore struct {
	store.Store
	workspaceID string
	// fail makes every write fail; heal undoes it.
	fail, heal func(t *testing.T)
}

// storeKinds are the ways a real store stops taking writes:
//   - sqlite: the database file is on a 3 MB tmpfs, filled up (SQLITE_FULL);
//     freeing the space heals it.
//   - postgres: a trigger in the test's own schema refuses every run write
//     with SQLSTATE 53100 (disk_full); dropping it heals it. The shared
//     server keeps running.
var storeKinds = []struct {
	name string
	open func(t *testing.T) *failingStore
}{
	{"sqlite", fullDiskSQLite},
	{"postgres", refusingPostgres},
}

func withWorkspace(t *testing.T, st *failingStore) *failingStore {
	t.Helper()
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := tenant.Create(context.Background(), st, box, "outage")
	if err != nil {
		t.Fatal(err)
	}
	st.workspaceID = ws.ID
	return st
}

// smallDisk mounts a 3 MB tmpfs for the test. Mounting needs root (or
// CAP_SYS_ADMIN): without it the test is skipped, except under CI=true.
func smallDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=3m"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mounting a small tmpfs for the disk-full test: %v (CI must run it: run as root)", err)
		}
		t.Skipf("mounting a small tmpfs needs root: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

func fullDiskSQLite(t *testing.T) *failingStore {
	dir := smallDisk(t)
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "toolgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() }) // before the unmount
	filler := filepath.Join(dir, "filler")
	return withWorkspace(t, &failingStore{
		Store: st,
		fail: func(t *testing.T) {
			f, err := os.Create(filler)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			block := make([]byte, 4096)
			for {
				if _, err := f.Write(block); err != nil {
					if !errors.Is(err, syscall.ENOSPC) {
						t.Fatalf("filling the disk: %v", err)
					}
					return
				}
			}
		},
		heal: func(t *testing.T) {
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
		},
	})
}

func refusingPostgres(t *testing.T) *failingStore {
	url := testdb.PostgresURL(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	exec := func(t *testing.T, sql string) {
		t.Helper()
		if _, err := admin.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(t, `CREATE FUNCTION refuse_runs() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$`)
	return withWorkspace(t, &failingStore{
		Store: st,
		fail: func(t *testing.T) {
			exec(t, `CREATE TRIGGER refuse_runs BEFORE INSERT OR UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION refuse_runs()`)
		},
		heal: func(t *testing.T) { exec(t, `DROP TRIGGER refuse_runs ON runs`) },
	})
}

// upstream is an httptest upstream counting the requests it received.
type upstream struct {
	*httptest.Server
	requests atomic.Int64
}

func newCountingUpstream(t *testing.T) *upstream {
	up := &upstream{}
	up.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up.requests.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(up.Close)
	return up
}

// logSink is a slog handler keeping every record's text, and announcing
// each message on a channel, so a test can wait for one.
type logSink struct {
	mu   sync.Mutex
	text bytes.Buffer
	msgs chan string
}

func newLogSink() *logSink { return &logSink{msgs: make(chan string, 10000)} }

func (s *logSink) logger() *slog.Logger { return slog.New(sinkHandler{s}) }

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text.String()
}

// await waits for a message starting with prefix.
func (s *logSink) await(t *testing.T, prefix string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case msg := <-s.msgs:
			if strings.HasPrefix(msg, prefix) {
				return
			}
		case <-timeout:
			t.Fatalf("no log message %q in 30s; log:\n%s", prefix, s)
		}
	}
}

type sinkHandler struct{ s *logSink }

func (h sinkHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h sinkHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h sinkHandler) WithGroup(string) slog.Handler            { return h }
func (h sinkHandler) Handle(ctx context.Context, r slog.Record) error {
	h.s.mu.Lock()
	err := slog.NewTextHandler(&h.s.text, nil).Handle(ctx, r)
	h.s.mu.Unlock()
	select {
	case h.s.msgs <- r.Message:
	default:
	}
	return err
}

// fakeClock is the recorder's injected clock: every wait the writer asks
// for is handed to the test, which fires it.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan fakeWait
}

type fakeWait struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), waits: make(chan fakeWait, 1000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	w := fakeWait{d: d, fire: make(chan time.Time, 1)}
	c.waits <- w
	return w.fire
}

// next returns the next wait the writer asked for.
func (c *fakeClock) next(t *testing.T) fakeWait {
	t.Helper()
	select {
	case w := <-c.waits:
		return w
	case <-time.After(30 * time.Second):
		t.Fatal("the recorder asked for no wait in 30s")
		return fakeWait{}
	}
}

// elapse passes the wait's time and fires it.
func (c *fakeClock) elapse(w fakeWait) {
	c.mu.Lock()
	c.now = c.now.Add(w.d)
	now := c.now
	c.mu.Unlock()
	w.fire <- now
}

// harness is an engine on a recorder on a store that can fail.
type harness struct {
	st      *failingStore
	up      *upstream
	rec     *tools.Recorder
	engine  *tools.Engine
	tool    *tools.Prepared
	reg     *prometheus.Registry
	log     *logSink
	clock   *fakeClock
	results []*tools.Result
}

func newHarness(t *testing.T, st *failingStore, cfg tools.RecorderConfig) *harness {
	t.Helper()
	h := &harness{st: st, up: newCountingUpstream(t), reg: prometheus.NewRegistry(), log: newLogSink(), clock: newFakeClock()}
	metrics := tools.NewMetrics(h.reg)
	cfg.Store, cfg.Metrics, cfg.Logger = st, metrics, h.log.logger()
	cfg.Now, cfg.After = h.clock.Now, h.clock.After
	h.rec = tools.NewRecorder(cfg)
	h.rec.Start()
	t.Cleanup(h.rec.Stop)
	client := egress.New(egress.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	t.Cleanup(client.CloseIdleConnections)
	h.engine = tools.NewEngine(tools.EngineConfig{Client: client, Recorder: h.rec, Metrics: metrics, Logger: h.log.logger()})
	tool, err := tools.Prepare("tool_outage", 1, &tools.Definition{
		Name: "note", Description: "Store a note for the caller once they dictated it.", Method: "POST", URL: h.up.URL,
		Body:        json.RawMessage(`{"text": "{{args.text}}"}`),
		InputSchema: json.RawMessage(`{"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.tool = tool
	return h
}

// call runs the tool once; a result with a run is remembered.
func (h *harness) call(t *testing.T) *tools.Result {
	t.Helper()
	res := h.engine.Run(context.Background(), &tools.Call{WorkspaceID: h.st.workspaceID, AgentID: "agent_1", Tool: h.tool,
		Arguments: json.RawMessage(`{"text": "remember the milk"}`)})
	if res.RunID != "" {
		h.results = append(h.results, res)
	}
	return res
}

// storedIDs lists the IDs of the workspace's stored runs, sorted, with
// duplicates (if the store ever held any) kept.
func (h *harness) storedIDs(t *testing.T) []string {
	t.Helper()
	runs, err := h.st.RunList(context.Background(), h.st.workspaceID, store.RunListParams{ListParams: store.ListParams{Limit: store.ListLimitMax}})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(runs))
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

// resultIDs are the run IDs of the calls made, sorted.
func (h *harness) resultIDs() []string {
	ids := make([]string, 0, len(h.results))
	for _, r := range h.results {
		ids = append(ids, r.RunID)
	}
	slices.Sort(ids)
	return ids
}

// metric reads a counter or gauge of the harness's registry.
func (h *harness) metric(t *testing.T, name string) float64 {
	t.Helper()
	families, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		m := f.GetMetric()[0]
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}

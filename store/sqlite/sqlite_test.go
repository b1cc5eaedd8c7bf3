package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/store/storetest"
)

// openTestStore opens a store in a new file of a temporary directory, closed
// at the end of the test.
func openTestStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "toolgate.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) })
}

func TestReopenKeepsDataAndMigrationsAreIdempotent(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "toolgate.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ws := &store.Workspace{ID: store.NewID(), Name: "acme"}
	if err := s.WorkspaceInsert(ctx, ws); err != nil {
		t.Fatalf("WorkspaceInsert: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	for i := range 2 {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i+1, err)
		}
		got, err := s.WorkspaceGet(ctx, ws.ID)
		if err != nil {
			t.Errorf("reopen %d: WorkspaceGet: %v", i+1, err)
		} else if got.Name != ws.Name {
			t.Errorf("reopen %d: got workspace name %q, want %q", i+1, got.Name, ws.Name)
		}
		var versions, migrations int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&migrations, &versions); err != nil {
			t.Fatalf("reading schema_migrations: %v", err)
		}
		if migrations == 0 || migrations != versions {
			t.Errorf("reopen %d: schema_migrations has %d rows for %d versions, want one row per version", i+1, migrations, versions)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

// TestConcurrentOpen opens one new file from several goroutines at once:
// every Open must succeed (none may fail with SQLITE_BUSY while the file is
// switched to WAL mode).
func TestConcurrentOpen(t *testing.T) {
	if err := openConcurrently(t.Context(), filepath.Join(t.TempDir(), "toolgate.db"), 8); err != nil {
		t.Fatalf("concurrent Open: %v", err)
	}
}

// TestConcurrentOpenProcesses opens one new file from several processes at
// once, each opening it from several goroutines.
func TestConcurrentOpenProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "toolgate.db")
	const processes = 4
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i := range processes {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestOpenHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envOpenHelperPath+"="+path)
		wg.Go(func() {
			out, err := cmd.CombinedOutput()
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("process %d: %v\n%s", i, err, out))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Open from %d processes: %v", processes, err)
	}
}

// envOpenHelperPath names the file TestOpenHelperProcess opens.
const envOpenHelperPath = "TOOLGATE_SQLITE_OPEN_HELPER_PATH"

// TestOpenHelperProcess is the child of TestConcurrentOpenProcesses; run
// directly, it does nothing.
func TestOpenHelperProcess(t *testing.T) {
	path := os.Getenv(envOpenHelperPath)
	if path == "" {
		t.Skip("helper process of TestConcurrentOpenProcesses")
	}
	if err := openConcurrently(t.Context(), path, 4); err != nil {
		t.Fatalf("concurrent Open: %v", err)
	}
}

// openConcurrently opens the store at path from n goroutines at once and
// closes every store it opened.
func openConcurrently(ctx context.Context, path string, n int) error {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		start  = make(chan struct{})
		stores []*sqlite.Store
		errs   []error
	)
	for range n {
		wg.Go(func() {
			<-start
			s, err := sqlite.Open(ctx, path)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			stores = append(stores, s)
		})
	}
	close(start)
	wg.Wait()
	for _, s := range stores {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("Close: %w", err))
		}
	}
	return errors.Join(errs...)
}

func TestOpenRefusesNonFilePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := sqlite.Open(t.Context(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q): got nil error, want an error", path)
		}
	}
}

func BenchmarkToolInsert(b *testing.B) { storetest.BenchToolInsert(b, openTestStore(b)) }

func BenchmarkToolGet(b *testing.B) { storetest.BenchToolGet(b, openTestStore(b)) }

func BenchmarkRunInsertBatch(b *testing.B) { storetest.BenchRunInsertBatch(b, openTestStore(b), 64) }

package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/storetest"
)

// databaseURLEnv names the variable holding the URL of the PostgreSQL
// database the tests may create schemas in.
const databaseURLEnv = "TOOLGATE_TEST_DATABASE_URL"

// baseURL returns the test database URL, skipping the test when there is
// none, except in CI, where a missing database is a failure.
func baseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(databaseURLEnv)
	if u == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set; CI must run the PostgreSQL tests", databaseURLEnv)
		}
		tb.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/toolgate_test?sslmode=disable)", databaseURLEnv)
	}
	return u
}

// connectionFailed skips (or, in CI, fails) a test that cannot reach the
// database.
func connectionFailed(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("connecting to %s: %v", databaseURLEnv, err)
	}
	tb.Skipf("PostgreSQL tests skipped: cannot connect to %s: %v", databaseURLEnv, err)
}

// newSchemaURL creates a fresh schema, dropped at the end of the test, and
// returns a URL whose search_path points at it.
func newSchemaURL(tb testing.TB) string {
	tb.Helper()
	base := baseURL(tb)
	conn, err := pgx.Connect(tb.Context(), base)
	if err != nil {
		connectionFailed(tb, err)
	}
	defer conn.Close(context.Background())

	var suffix [8]byte
	rand.Read(suffix[:])
	schema := "t_" + hex.EncodeToString(suffix[:])
	if _, err := conn.Exec(tb.Context(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("creating schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parsing %s: %v", databaseURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openTestStore opens a store in a fresh schema, closed at the end of the
// test.
func openTestStore(tb testing.TB) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), newSchemaURL(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	baseURL(t) // skip (or fail) once, not in every subtest
	storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) })
}

func TestMigrationsStayInSchemaAndAreIdempotent(t *testing.T) {
	ctx := t.Context()
	schemaURL := newSchemaURL(t)
	s, err := postgres.Open(ctx, schemaURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ws := &store.Workspace{ID: store.NewID(), Name: "acme"}
	if err := s.WorkspaceInsert(ctx, ws); err != nil {
		t.Fatalf("WorkspaceInsert: %v", err)
	}
	s.Close()

	s, err = postgres.Open(ctx, schemaURL)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.WorkspaceGet(ctx, ws.ID); err != nil {
		t.Errorf("WorkspaceGet after reopen: %v", err)
	}

	var schema string
	var tables, migrations, versions int
	if err := s.Pool().QueryRow(ctx, `SELECT current_schema(),
		(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'workspaces'),
		(SELECT count(*) FROM schema_migrations),
		(SELECT count(DISTINCT version) FROM schema_migrations)`).Scan(&schema, &tables, &migrations, &versions); err != nil {
		t.Fatalf("inspecting schema: %v", err)
	}
	if tables != 1 {
		t.Errorf("workspaces tables in schema %s: got %d, want 1", schema, tables)
	}
	if migrations == 0 || migrations != versions {
		t.Errorf("schema_migrations has %d rows for %d versions, want one row per version", migrations, versions)
	}
}

func TestConcurrentOpen(t *testing.T) {
	schemaURL := newSchemaURL(t)
	const openers = 4
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		stores []*postgres.Store
		errs   []error
	)
	for range openers {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), schemaURL)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			stores = append(stores, s)
		})
	}
	wg.Wait()
	for _, s := range stores {
		s.Close()
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Open: %v", err)
	}
}

func BenchmarkToolInsert(b *testing.B) { storetest.BenchToolInsert(b, openTestStore(b)) }

func BenchmarkToolGet(b *testing.B) { storetest.BenchToolGet(b, openTestStore(b)) }

func BenchmarkRunInsertBatch(b *testing.B) { storetest.BenchRunInsertBatch(b, openTestStore(b), 64) }

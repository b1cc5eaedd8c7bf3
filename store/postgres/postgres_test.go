package postgres_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/storetest"
	"github.com/toolgate/toolgate/store/testdb"
)

// openTestStore opens a store in a fresh schema, closed at the end of the
// test.
func openTestStore(tb testing.TB) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), testdb.PostgresURL(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	testdb.PostgresBase(t) // skip (or fail) once, not in every subtest
	storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) })
}

func TestMigrationsStayInSchemaAndAreIdempotent(t *testing.T) {
	ctx := t.Context()
	schemaURL := testdb.PostgresURL(t)
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
	schemaURL := testdb.PostgresURL(t)
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

// Package testdb gives tests real stores: a SQLite file in a temp dir, and a
// fresh schema in the PostgreSQL database named by TOOLGATE_TEST_DATABASE_URL.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/sqlite"
)

// EnvPostgres names the PostgreSQL database tests may use.
const EnvPostgres = "TOOLGATE_TEST_DATABASE_URL"

// SQLite opens a store on a new SQLite file, closed when the test ends.
func SQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "toolgate.db"))
	if err != nil {
		t.Fatalf("opening SQLite store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// PostgresBase returns TOOLGATE_TEST_DATABASE_URL. Without it the test is
// skipped, or fails when CI=true: CI must never skip the PostgreSQL suites.
func PostgresBase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; CI must run the PostgreSQL suites", EnvPostgres)
		}
		t.Skipf("set %s to run the PostgreSQL suites (e.g. postgres://postgres@127.0.0.1:5432/toolgate_test)", EnvPostgres)
	}
	return base
}

// PostgresURL returns a URL for a new, empty schema of the test database,
// dropped when the test ends; it skips or fails as PostgresBase does, and
// also when the database cannot be reached.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := PostgresBase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("connecting to %s: %v", EnvPostgres, err)
		}
		t.Skipf("cannot connect to %s: %v", EnvPostgres, err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parsing %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a store on a new schema of the test database.
func Postgres(t testing.TB) store.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), PostgresURL(t))
	if err != nil {
		t.Fatalf("opening PostgreSQL store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Each runs f once per store kind as subtests "sqlite" and "postgres".
func Each(t *testing.T, f func(t *testing.T, newStore func(testing.TB) store.Store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite) })
	t.Run("postgres", func(t *testing.T) { f(t, Postgres) })
}

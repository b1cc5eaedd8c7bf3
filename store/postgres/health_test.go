package postgres_test

import (
	"errors"
	"testing"

	"github.com/toolgate/toolgate/store"
)

// TestPingSeesPendingMigrations: a schema that lost a migration's record
// (a restored older copy) is not ready until migrated again.
func TestPingSeesPendingMigrations(t *testing.T) {
	ctx := t.Context()
	s := openTestStore(t)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if _, err := s.Pool().Exec(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); !errors.Is(err, store.ErrMigrationsPending) {
		t.Errorf("Ping after losing a migration: %v, want ErrMigrationsPending", err)
	}
	if _, err := s.Pool().Exec(ctx, `DROP TABLE schema_migrations`); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); !errors.Is(err, store.ErrMigrationsPending) {
		t.Errorf("Ping without schema_migrations: %v, want ErrMigrationsPending", err)
	}
}

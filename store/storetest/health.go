package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/toolgate/toolgate/store"
)

// testPing: a fresh store is ready; one that cannot answer (a cancelled
// request, a closed store) is not, and is not mistaken for one lacking
// migrations.
func testPing(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping on a fresh store: %v, want nil", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Ping(cancelled); err == nil || errors.Is(err, store.ErrMigrationsPending) {
		t.Errorf("Ping with a cancelled context: %v, want an error other than ErrMigrationsPending", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err == nil || errors.Is(err, store.ErrMigrationsPending) {
		t.Errorf("Ping on a closed store: %v, want an error other than ErrMigrationsPending", err)
	}
}

package sqlite

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/migrations"
)

// embeddedVersions are the versions of the embedded migrations, ascending.
var embeddedVersions = sync.OnceValues(func() ([]int, error) {
	list, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	versions := make([]int, len(list))
	for i, m := range list {
		versions[i] = m.Version
	}
	return versions, nil
})

// Ping reports whether the database answers (through the read pool, so it
// never waits behind the writer) and has every embedded migration applied.
func (s *Store) Ping(ctx context.Context) error {
	want, err := embeddedVersions()
	if err != nil {
		return err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return fmt.Errorf("%w: no migration is applied", store.ErrMigrationsPending)
		}
		return fmt.Errorf("pinging sqlite: %w", err)
	}
	defer rows.Close()
	applied := make(map[int]bool, len(want))
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("pinging sqlite: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pinging sqlite: %w", err)
	}
	return store.CheckMigrations(want, applied)
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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

// undefinedTable is PostgreSQL's SQLSTATE for a table that does not exist.
const undefinedTable = "42P01"

// Ping reports whether the database answers and the store's schema has
// every embedded migration applied.
func (s *Store) Ping(ctx context.Context) error {
	want, err := embeddedVersions()
	if err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return pingError(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return pingError(err)
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[int(v)] = true
	}
	return store.CheckMigrations(want, applied)
}

func pingError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == undefinedTable {
		return fmt.Errorf("%w: no migration is applied", store.ErrMigrationsPending)
	}
	return fmt.Errorf("pinging postgres: %w", err)
}

package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/toolgate/toolgate/store/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey seeds the advisory lock that serializes migrations; the
// lock key also depends on the target schema, so installations in different
// schemas of one database migrate independently.
const migrationLockKey = "toolgate.store.migrate"

// migrate applies every embedded migration the schema lacks, each in its own
// transaction holding a transaction-level advisory lock, so replicas starting
// together apply each migration once.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrations.Apply(ctx, migrationFiles, "migrations", func(ctx context.Context, m migrations.Migration) error {
		return applyMigration(ctx, pool, m)
	})
}

// applyMigration applies m unless schema_migrations already records it.
func applyMigration(ctx context.Context, pool *pgxpool.Pool, m migrations.Migration) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var schema *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return err
		}
		if schema == nil {
			return fmt.Errorf("no schema of the search_path exists")
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
			migrationLockKey+"."+*schema); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
		var applied bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
			m.Version).Scan(&applied); err != nil {
			return err
		}
		if applied {
			return nil
		}
		// The simple protocol runs a file of several statements in one call.
		if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
		return err
	})
}

package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"time"

	"github.com/toolgate/toolgate/store/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies every embedded migration the database lacks, each in its
// own transaction. db begins transactions IMMEDIATE, so a second process
// migrating the same file at the same time waits for the first and then finds
// the version recorded.
func migrate(ctx context.Context, db *sql.DB) error {
	return migrations.Apply(ctx, migrationFiles, "migrations", func(ctx context.Context, m migrations.Migration) error {
		return applyMigration(ctx, db, m)
	})
}

// applyMigration applies m unless schema_migrations already records it.
func applyMigration(ctx context.Context, db *sql.DB, m migrations.Migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return err
	}
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&applied); err != nil {
		return err
	}
	if applied > 0 {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.Version, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

package background

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/sqlite"
)

// sqliteOps share the SQLite store's write connection with River, so a run
// and its job commit together.
func sqliteOps(st *sqlite.Store) txOps[*riversqlite.Driver, *sql.Tx] {
	db := st.DB()
	return txOps[*riversqlite.Driver, *sql.Tx]{
		driver:    riversqlite.New(db),
		begin:     func(ctx context.Context) (*sql.Tx, error) { return db.BeginTx(ctx, nil) },
		commit:    func(_ context.Context, tx *sql.Tx) error { return tx.Commit() },
		rollback:  func(_ context.Context, tx *sql.Tx) { _ = tx.Rollback() },
		insertRun: st.RunInsertTx,
		updateRun: st.RunUpdateTx,
	}
}

// postgresOps share the PostgreSQL store's pool with River.
func postgresOps(st *postgres.Store) txOps[*riverpgxv5.Driver, pgx.Tx] {
	pool := st.Pool()
	return txOps[*riverpgxv5.Driver, pgx.Tx]{
		driver:    riverpgxv5.New(pool),
		begin:     func(ctx context.Context) (pgx.Tx, error) { return pool.Begin(ctx) },
		commit:    func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) },
		rollback:  func(ctx context.Context, tx pgx.Tx) { _ = tx.Rollback(context.WithoutCancel(ctx)) },
		insertRun: st.RunInsertTx,
		updateRun: st.RunUpdateTx,
	}
}

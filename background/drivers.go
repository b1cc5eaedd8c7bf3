package background

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/toolgate/toolgate/store"
)

// The queue keeps its jobs in the store's own database, so that a run and
// the job that executes it commit together. A store offers that by handing
// out its database handle and writing runs inside a transaction the queue
// began: one optional interface per kind of transaction, found on
// Config.Store by type assertion (river's riverdriver pattern). The store
// drivers satisfy them without knowing this package.

// RunTxWriter writes runs inside an open transaction of type TTx.
type RunTxWriter[TTx any] interface {
	// RunInsertManyTx inserts runs; a duplicate ID is store.ErrConflict.
	RunInsertManyTx(ctx context.Context, tx TTx, runs []*store.Run) error
	// RunUpdateUnfinishedManyTx replaces every column but the ID,
	// workspace and creation time of each workspace's run that has not
	// finished (is queued or running), and reports which it wrote.
	RunUpdateUnfinishedManyTx(ctx context.Context, tx TTx, runs []*store.Run) ([]bool, error)
}

// SQLiteStore is a store kept in a SQLite file through database/sql. River
// (riversqlite) keeps its tables in the same file and writes through DB, so
// that its writes queue with the store's.
type SQLiteStore interface {
	// DB returns the store's write handle: transactions begun on it take
	// the write lock up front.
	DB() *sql.DB
	RunTxWriter[*sql.Tx]
}

// PgxStore is a store on PostgreSQL through a pgx pool, which River
// (riverpgxv5) shares.
type PgxStore interface {
	// Pool returns the store's connection pool.
	Pool() *pgxpool.Pool
	RunTxWriter[pgx.Tx]
}

// sqliteOps share a SQLite store's write handle with River, so a run and its
// job commit together. River's notifications stay in process (see
// sqliteDriver).
func sqliteOps(st SQLiteStore) txOps[*sqliteDriver, *sql.Tx] {
	db := st.DB()
	driver := newSQLiteDriver(db)
	return txOps[*sqliteDriver, *sql.Tx]{
		driver: driver,
		begin:  func(ctx context.Context) (*sql.Tx, error) { return db.BeginTx(ctx, nil) },
		commit: func(_ context.Context, tx *sql.Tx) error {
			err := tx.Commit()
			driver.ended(tx, err == nil)
			return err
		},
		rollback: func(_ context.Context, tx *sql.Tx) {
			_ = tx.Rollback()
			driver.ended(tx, false)
		},
		insertRuns: st.RunInsertManyTx,
		updateRuns: st.RunUpdateUnfinishedManyTx,
	}
}

// pgxOps share a PostgreSQL store's pool with River.
func pgxOps(st PgxStore) txOps[*riverpgxv5.Driver, pgx.Tx] {
	pool := st.Pool()
	return txOps[*riverpgxv5.Driver, pgx.Tx]{
		driver:     riverpgxv5.New(pool),
		begin:      func(ctx context.Context) (pgx.Tx, error) { return pool.Begin(ctx) },
		commit:     func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) },
		rollback:   func(ctx context.Context, tx pgx.Tx) { _ = tx.Rollback(context.WithoutCancel(ctx)) },
		insertRuns: st.RunInsertManyTx,
		updateRuns: st.RunUpdateUnfinishedManyTx,
	}
}

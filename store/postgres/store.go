package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/semaphore"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/keylock"
)

// Store is a store.Store backed by a PostgreSQL connection pool.
type Store struct {
	pool *pgxpool.Pool
	// schema is the schema the tables live in; it scopes advisory lock
	// keys, which are database-wide, to this installation.
	schema string

	// tokenLocks serializes, within this process, the callers waiting for a
	// connection's token lock, so that at most one pool connection per
	// OAuth connection waits on the database (see OAuthTokenUpdate).
	tokenLocks keylock.Map
	// flowSessionLocks serializes, within this process, the turns waiting
	// for a flow session's lock (see FlowSessionAdvance).
	flowSessionLocks keylock.Map
	// flowLockConns bounds how many pool connections the flow session locks
	// hold at once, to half the pool (at least one), so that the turns
	// holding them can still get a connection for their own queries (see
	// FlowSessionAdvance).
	flowLockConns *semaphore.Weighted
}

var _ store.Store = (*Store)(nil)

// MaxConnsDefault is the pool size when the URL sets no pool_max_conns.
const MaxConnsDefault = 32

// Open connects to the database at url (a postgres:// URL or key=value DSN
// that pgx understands) and brings its schema up to date. A search_path given
// in the URL, as a search_path parameter or in options=-csearch_path=...,
// chooses the schema the tables live in.
func Open(ctx context.Context, url string) (*Store, error) {
	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing postgres url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default (max(4, NumCPU)) is too small for a gateway:
		// OAuth refreshes hold a connection while they wait on a provider.
		config.MaxConns = MaxConnsDefault
	}
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrating postgres database: %w", err)
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("reading the current schema: %w", err)
	}
	return &Store{pool: pool, schema: schema,
		flowLockConns: semaphore.NewWeighted(max(1, int64(pool.Config().MaxConns)/2))}, nil
}

// Pool returns the store's connection pool, for code (such as a job queue)
// that shares the database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

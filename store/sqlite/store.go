package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"

	// Registers the "sqlite" database/sql driver.
	_ "modernc.org/sqlite"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/keylock"
)

// BusyTimeoutDefault is how long, in milliseconds, a connection waits for a
// lock held by another process before giving up with SQLITE_BUSY.
const BusyTimeoutDefault = 5000

// Store is a store.Store backed by one SQLite file. Writes go through a
// single connection (so they queue instead of colliding); reads go through a
// pool of read-only connections, which WAL lets run alongside the writer.
type Store struct {
	write *sql.DB
	read  *sql.DB

	// runs holds the run writes prepared once on the write connection:
	// parsing the 24-column upsert was 6% of the CPU of recording runs.
	runs runStatements

	// tokenLocks serializes the writes of each connection's OAuth token
	// (see OAuthTokenUpdate). It coordinates this Store only: one server
	// owns a SQLite file.
	tokenLocks keylock.Map
	// flowSessionLocks serializes the turns of each flow session (see
	// FlowSessionAdvance).
	flowSessionLocks keylock.Map
	// stmts are the statements of a flow session's turn, prepared once.
	stmts stmtCache

	// limits is the rate and concurrency state (see limits.go).
	limits limits
}

var _ store.Store = (*Store)(nil)

// Open opens, or creates, the SQLite database at path and brings its schema
// up to date. path must name a file: an in-memory database cannot be shared
// between the writer and the readers.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("opening sqlite database: path %q must be a plain file path", path)
	}

	write := sql.OpenDB(newCachingConnector(dsn(path, url.Values{
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", BusyTimeoutDefault),
			"synchronous(NORMAL)",
			"foreign_keys(1)",
		},
		// Every write transaction takes the write lock up front, so a
		// transaction that reads before it writes never fails to upgrade.
		"_txlock": {"immediate"},
	})))
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("opening sqlite database %s: %w", path, err)
	}
	if err := enableWAL(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("opening sqlite database %s: %w", path, err)
	}
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("migrating sqlite database %s: %w", path, err)
	}

	read := sql.OpenDB(newCachingConnector(dsn(path, url.Values{
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", BusyTimeoutDefault),
			"foreign_keys(1)",
			"query_only(1)",
		},
	})))
	readers := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)

	s := &Store{write: write, read: read}
	if err := s.runs.prepare(ctx, write); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("opening sqlite database %s: %w", path, err)
	}
	return s, nil
}

// dsn builds a modernc.org/sqlite data source name.
func dsn(path string, params url.Values) string {
	return path + "?" + params.Encode()
}

// DB returns the write handle: a pool of exactly one connection, with
// foreign keys on and every transaction begun IMMEDIATE. Code that shares the
// database file (such as a job queue) should write through it so that it
// queues with the store's writes.
func (s *Store) DB() *sql.DB { return s.write }

// Close closes both the read and the write handles.
func (s *Store) Close() error {
	return errors.Join(s.runs.close(), s.read.Close(), s.write.Close())
}

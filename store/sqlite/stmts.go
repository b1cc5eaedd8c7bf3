package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements by handle and SQL text, so that a
// statement run on every request (a flow session's turn) is parsed once
// per connection rather than on every run. Its statements live as long as
// the Store; closing the handles finalizes them.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	db    *sql.DB
	query string
}

// prepare returns the statement of query on db, preparing it on first use.
// It must not be called inside a transaction of the write handle, whose
// only connection the transaction holds: prepare before, and run the
// statement in the transaction with tx.StmtContext (which reuses what is
// prepared on the transaction's connection).
func (c *stmtCache) prepare(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	key := stmtKey{db, query}
	c.mu.Lock()
	stmt, ok := c.stmts[key]
	c.mu.Unlock()
	if ok {
		return stmt, nil
	}
	stmt, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prior, ok := c.stmts[key]; ok {
		// Another caller prepared it meanwhile: keep one.
		_ = stmt.Close()
		return prior, nil
	}
	if c.stmts == nil {
		c.stmts = map[stmtKey]*sql.Stmt{}
	}
	c.stmts[key] = stmt
	return stmt, nil
}

package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// querier is what a pool and a transaction have in common for reads.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// txBeginner is what a pool and a held connection have in common for
// beginning a transaction.
type txBeginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/toolgate/toolgate/store"
)

// SQLSTATEs the store maps to its sentinels.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// mapErr translates driver errors to the store's sentinels: no rows is
// store.ErrNotFound, a unique violation is store.ErrConflict. Other errors
// pass through.
func mapErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == uniqueViolation {
		return fmt.Errorf("%w: %s", store.ErrConflict, pgErr.Error())
	}
	return err
}

// mapParentErr is mapErr that also reports a foreign key violation (a
// missing parent row, such as a connection of the given workspace) as
// store.ErrNotFound.
func mapParentErr(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == foreignKeyViolation {
		return fmt.Errorf("%w: %s", store.ErrNotFound, pgErr.Error())
	}
	return mapErr(err)
}

// affectedOne returns store.ErrNotFound when tag reports no row touched.
func affectedOne(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/toolgate/toolgate/store"
)

// mapErr translates driver errors to the store's sentinels: no rows is
// store.ErrNotFound, a UNIQUE or PRIMARY KEY violation is store.ErrConflict.
// Other errors pass through.
func mapErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		switch sqliteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", store.ErrConflict, sqliteErr.Error())
		}
	}
	return err
}

// isForeignKeyViolation reports whether err is a FOREIGN KEY constraint
// failure: the row refers to a parent (such as a connection of the given
// workspace) that does not exist.
func isForeignKeyViolation(err error) bool {
	var sqliteErr *sqlite.Error
	return errors.As(err, &sqliteErr) && sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// mapParentErr is mapErr that also reports a missing parent row as
// store.ErrNotFound.
func mapParentErr(err error) error {
	if isForeignKeyViolation(err) {
		return fmt.Errorf("%w: %s", store.ErrNotFound, err.Error())
	}
	return mapErr(err)
}

// affectedOne returns store.ErrNotFound when res touched no row.
func affectedOne(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

package main

import (
	"database/sql"

	_ "modernc.org/sqlite" // the driver the store uses
)

// openSQLiteReadOnly opens the SQLite file read-only, beside the store's
// own connections.
func openSQLiteReadOnly(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+path+"?mode=ro")
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// walRetryMax bounds the wait between two tries of the switch to WAL.
const walRetryMax = 20 * time.Millisecond

// enableWAL puts the database file in WAL mode (a persistent property of
// the file), retrying while another connection holds a conflicting lock.
//
// The retry is needed because of how SQLite switches a file to WAL: the
// switch opens a read transaction, then upgrades it to a write transaction
// to rewrite the header. SQLite never calls the busy handler for such an
// upgrade (waiting could deadlock with another connection doing the same),
// so when several connections or processes open a new file at once, all but
// one fail at once with SQLITE_BUSY whatever busy_timeout says. The losers
// retry here, for up to BusyTimeoutDefault, and then find the file already
// in WAL mode.
func enableWAL(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(BusyTimeoutDefault * time.Millisecond)
	wait := time.Millisecond
	for {
		var mode string
		err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("switching to WAL mode: the journal mode stayed %q", mode)
			}
			return nil
		}
		if !isBusy(err) || time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("switching to WAL mode: %w", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("switching to WAL mode: %w", context.Cause(ctx))
		case <-t.C:
		}
		wait = min(2*wait, walRetryMax)
	}
}

// isBusy reports whether err is SQLITE_BUSY (or one of its extended codes).
func isBusy(err error) bool {
	var sqliteErr *sqlite.Error
	return errors.As(err, &sqliteErr) && sqliteErr.Code()&0xff == sqlite3.SQLITE_BUSY
}

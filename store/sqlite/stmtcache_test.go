package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStatementCache: statements run by text are prepared once per
// connection and kept, at most stmtCacheMax of them; a query of the same
// text while the rows of another are open runs on its own statement, and
// both read their rows whole.
func TestStatementCache(t *testing.T) {
	ctx := t.Context()
	db := sql.OpenDB(newCachingConnector(filepath.Join(t.TempDir(), "cache.db")))
	defer db.Close()
	db.SetMaxOpenConns(1)
	cacheSize := func() (n int) {
		t.Helper()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.Raw(func(dc any) error { n = len(dc.(*cachingConn).stmts); return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := db.ExecContext(ctx, `INSERT INTO t (x) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
	}
	if n := cacheSize(); n != 2 {
		t.Errorf("%d statements cached after 100 runs of one insert, want 2 (with the CREATE)", n)
	}

	const query = `SELECT x FROM t WHERE x < ? ORDER BY x`
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	outer, err := tx.QueryContext(ctx, query, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]int
	for outer.Next() {
		var x int
		if err := outer.Scan(&x); err != nil {
			t.Fatal(err)
		}
		var inner []int
		rows, err := tx.QueryContext(ctx, query, x+1) // the same text, the outer rows open
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var y int
			if err := rows.Scan(&y); err != nil {
				t.Fatal(err)
			}
			inner = append(inner, y)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		got = append(got, append([]int{x}, inner...))
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]int{{0, 0}, {1, 0, 1}, {2, 0, 1, 2}}, got); diff != "" {
		t.Errorf("nested queries of one text (-want +got):\n%s", diff)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	for i := range stmtCacheMax + 10 {
		var x int
		if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT x + %d FROM t WHERE x = 0`, i)).Scan(&x); err != nil || x != i {
			t.Fatalf("query %d: %d, %v", i, x, err)
		}
	}
	if n := cacheSize(); n > stmtCacheMax {
		t.Errorf("%d statements cached, want at most %d", n, stmtCacheMax)
	}
	if err := db.PingContext(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

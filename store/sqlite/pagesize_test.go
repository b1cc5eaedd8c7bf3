package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/toolgate/toolgate/store/sqlite"
)

// TestNewFilePageSize: a file Open creates has PageSizeDefault pages.
func TestNewFilePageSize(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pages.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got int
	if err := s.DB().QueryRowContext(ctx, `PRAGMA page_size`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != sqlite.PageSizeDefault {
		t.Errorf("page_size = %d, want %d", got, sqlite.PageSizeDefault)
	}
}

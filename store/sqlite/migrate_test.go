package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store/sqlite"
)

// TestMigrationBelowTheNewestIsApplied: a database migrated by a build
// that lacked a migration numbered below ones it applied (0050, merged
// after 0060) gets it when next opened, and is ready.
func TestMigrationBelowTheNewestIsApplied(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gap.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// Undo 0050, as a database that never had it would be.
	for _, stmt := range []string{
		`DROP INDEX runs_workspace_id_unfinished_id`,
		`CREATE INDEX runs_workspace_id_status_id ON runs (workspace_id, status, id)`,
		`CREATE INDEX runs_workspace_id_agent_id_idempotency_key ON runs (workspace_id, agent_id, idempotency_key)`,
		`CREATE INDEX runs_created_at ON runs (created_at)`,
		`DELETE FROM schema_migrations WHERE version = 50`,
	} {
		if _, err := s.DB().ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after reopening: %v", err)
	}
	rows, err := s.DB().QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		got = append(got, name)
	}
	want := []string{"runs_workspace_id_agent_id_id", "runs_workspace_id_conversation_id_id", "runs_workspace_id_id",
		"runs_workspace_id_outcome_id", "runs_workspace_id_tool_name_id", "runs_workspace_id_unfinished_id"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("indexes of runs after reopening (-want +got):\n%s", diff)
	}
}

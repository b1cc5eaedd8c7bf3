package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

// ToolVersionListingPut implements store.ToolVersionListingStore: one
// prepared upsert per rendering, in one transaction. The row is inserted
// from the version's own row, so a version the workspace does not have
// inserts nothing.
func (s *Store) ToolVersionListingPut(ctx context.Context, workspaceID string, list []*store.ToolVersionListing) error {
	if len(list) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		upsert, err := tx.PrepareContext(ctx, `INSERT INTO tool_version_listings
			(tool_id, version, format, workspace_id, revision, tool, notes)
			SELECT tool_id, version, ?, workspace_id, ?, ?, ? FROM tool_versions
			WHERE workspace_id = ? AND tool_id = ? AND version = ?
			ON CONFLICT (tool_id, version, format) DO UPDATE
			SET revision = excluded.revision, tool = excluded.tool, notes = excluded.notes`)
		if err != nil {
			return err
		}
		defer upsert.Close()
		for _, l := range list {
			if _, err := upsert.ExecContext(ctx, l.Format, l.Revision, string(l.Tool), codec.RawArg(l.Notes),
				workspaceID, l.ToolID, l.Version); err != nil {
				return fmt.Errorf("version %d of tool %s: %w", l.Version, l.ToolID, mapErr(err))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing %d tool listings: %w", len(list), err)
	}
	return nil
}

// ToolVersionListingGet implements store.ToolVersionListingStore in one
// query, the versions passed as one JSON array of [tool_id, version] pairs
// that the query walks, looking each up by primary key.
func (s *Store) ToolVersionListingGet(ctx context.Context, workspaceID, format string, refs []store.ToolVersionRef) ([]*store.ToolVersionListing, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	pairs := make([][2]any, len(refs))
	for i, r := range refs {
		pairs[i] = [2]any{r.ToolID, r.Version}
	}
	arg, err := json.Marshal(pairs)
	if err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT l.tool_id, l.version, l.format, l.revision, l.tool, l.notes
		FROM json_each(?) AS r CROSS JOIN tool_version_listings AS l
		ON l.tool_id = r.value ->> 0 AND l.version = r.value ->> 1 AND l.format = ?
		WHERE l.workspace_id = ?`, string(arg), format, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("getting %s listings of %d tool versions: %w", format, len(refs), err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanToolVersionListing)
	if err != nil {
		return nil, fmt.Errorf("getting %s listings of %d tool versions: %w", format, len(refs), err)
	}
	return list, nil
}

func scanToolVersionListing(row codec.Scanner) (*store.ToolVersionListing, error) {
	var (
		l           store.ToolVersionListing
		tool, notes []byte
	)
	if err := row.Scan(&l.ToolID, &l.Version, &l.Format, &l.Revision, &tool, &notes); err != nil {
		return nil, err
	}
	l.Tool = json.RawMessage(tool)
	if notes != nil {
		l.Notes = json.RawMessage(notes)
	}
	return &l, nil
}

package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

// ToolVersionListingPut implements store.ToolVersionListingStore: one
// upsert per rendering, sent as one pipelined batch in one transaction.
// The row is inserted from the version's own row, so a version the
// workspace does not have inserts nothing.
func (s *Store) ToolVersionListingPut(ctx context.Context, workspaceID string, list []*store.ToolVersionListing) error {
	if len(list) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var batch pgx.Batch
		for _, l := range list {
			batch.Queue(`INSERT INTO tool_version_listings (tool_id, version, format, workspace_id, revision, tool, notes)
				SELECT tool_id, version, $1, workspace_id, $2, $3, $4 FROM tool_versions
				WHERE workspace_id = $5 AND tool_id = $6 AND version = $7
				ON CONFLICT (tool_id, version, format) DO UPDATE
				SET revision = excluded.revision, tool = excluded.tool, notes = excluded.notes`,
				l.Format, l.Revision, string(l.Tool), codec.RawArg(l.Notes), workspaceID, l.ToolID, l.Version)
		}
		results := tx.SendBatch(ctx, &batch)
		defer results.Close()
		for _, l := range list {
			if _, err := results.Exec(); err != nil {
				return fmt.Errorf("version %d of tool %s: %w", l.Version, l.ToolID, mapErr(err))
			}
		}
		return results.Close()
	})
	if err != nil {
		return fmt.Errorf("storing %d tool listings: %w", len(list), err)
	}
	return nil
}

// ToolVersionListingGet implements store.ToolVersionListingStore in one
// query, joining the versions passed as two arrays.
func (s *Store) ToolVersionListingGet(ctx context.Context, workspaceID, format string, refs []store.ToolVersionRef) ([]*store.ToolVersionListing, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	ids := make([]string, len(refs))
	versions := make([]int32, len(refs))
	for i, r := range refs {
		ids[i], versions[i] = r.ToolID, int32(r.Version)
	}
	rows, err := s.pool.Query(ctx, `SELECT l.tool_id, l.version, l.format, l.revision, l.tool, l.notes
		FROM unnest($3::text[], $4::int[]) AS r (tool_id, version)
		JOIN tool_version_listings AS l ON l.tool_id = r.tool_id AND l.version = r.version
		WHERE l.workspace_id = $1 AND l.format = $2`, workspaceID, format, ids, versions)
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

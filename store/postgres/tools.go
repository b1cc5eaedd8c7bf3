package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

const toolColumns = `id, workspace_id, name, definition, status, version, created_at, updated_at, published_at`

const toolVersionColumns = `tool_id, workspace_id, version, name, definition, published_at`

// ToolInsert inserts t. An empty Status is stored as store.ToolStatusDraft.
// A duplicate ID or name is store.ErrConflict.
func (s *Store) ToolInsert(ctx context.Context, t *store.Tool) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tools (`+toolColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.WorkspaceID, t.Name, codec.RawArg(t.Definition), cmp.Or(t.Status, store.ToolStatusDraft), t.Version,
		t.CreatedAt, t.UpdatedAt, t.PublishedAt)
	if err != nil {
		return fmt.Errorf("inserting tool %s: %w", t.ID, mapErr(err))
	}
	return nil
}

// ToolGet returns the workspace's tool with the given ID.
func (s *Store) ToolGet(ctx context.Context, workspaceID, id string) (*store.Tool, error) {
	t, err := scanTool(s.pool.QueryRow(ctx,
		`SELECT `+toolColumns+` FROM tools WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
	if err != nil {
		return nil, fmt.Errorf("getting tool %s: %w", id, mapErr(err))
	}
	return t, nil
}

// ToolGetByName returns the workspace's tool with the given name.
func (s *Store) ToolGetByName(ctx context.Context, workspaceID, name string) (*store.Tool, error) {
	t, err := scanTool(s.pool.QueryRow(ctx,
		`SELECT `+toolColumns+` FROM tools WHERE workspace_id = $1 AND name = $2`, workspaceID, name))
	if err != nil {
		return nil, fmt.Errorf("getting tool named %q: %w", name, mapErr(err))
	}
	return t, nil
}

// ToolList returns a page of the workspace's tools, ordered by ID.
func (s *Store) ToolList(ctx context.Context, workspaceID string, p store.ListParams) ([]*store.Tool, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+toolColumns+` FROM tools
		WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`, workspaceID, p.Cursor, p.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("listing tools: %w", err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanTool)
	if err != nil {
		return nil, fmt.Errorf("listing tools: %w", err)
	}
	return list, nil
}

// ToolUpdate replaces the draft: name, definition and update time.
func (s *Store) ToolUpdate(ctx context.Context, t *store.Tool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE tools SET name = $1, definition = $2, updated_at = $3
		WHERE workspace_id = $4 AND id = $5`, t.Name, codec.RawArg(t.Definition), t.UpdatedAt, t.WorkspaceID, t.ID)
	if err == nil {
		err = affectedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("updating tool %s: %w", t.ID, mapErr(err))
	}
	return nil
}

// ToolDelete deletes the workspace's tool and all its published versions.
func (s *Store) ToolDelete(ctx context.Context, workspaceID, id string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM tool_versions WHERE workspace_id = $1 AND tool_id = $2`, workspaceID, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM tools WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
		if err != nil {
			return err
		}
		return affectedOne(tag)
	})
	if err != nil {
		return fmt.Errorf("deleting tool %s: %w", id, mapErr(err))
	}
	return nil
}

// ToolPublish stores the tool's current draft as version latest+1 and marks
// the tool published, in one transaction. The tool row is locked, so
// concurrent publishes of one tool get consecutive versions.
func (s *Store) ToolPublish(ctx context.Context, workspaceID, id string, at time.Time) (*store.ToolVersion, error) {
	var v *store.ToolVersion
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		v, err = scanToolVersion(tx.QueryRow(ctx, `UPDATE tools
			SET status = $1, version = version + 1, published_at = $2
			WHERE workspace_id = $3 AND id = $4
			RETURNING id, workspace_id, version, name, definition, published_at`,
			store.ToolStatusPublished, at, workspaceID, id))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO tool_versions (`+toolVersionColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			v.ToolID, v.WorkspaceID, v.Version, v.Name, codec.RawArg(v.Definition), v.PublishedAt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("publishing tool %s: %w", id, mapErr(err))
	}
	return v, nil
}

// ToolVersionGet returns one published version of the workspace's tool.
func (s *Store) ToolVersionGet(ctx context.Context, workspaceID, toolID string, version int) (*store.ToolVersion, error) {
	v, err := scanToolVersion(s.pool.QueryRow(ctx, `SELECT `+toolVersionColumns+` FROM tool_versions
		WHERE workspace_id = $1 AND tool_id = $2 AND version = $3`, workspaceID, toolID, version))
	if err != nil {
		return nil, fmt.Errorf("getting version %d of tool %s: %w", version, toolID, mapErr(err))
	}
	return v, nil
}

// ToolVersionList returns every published version of the workspace's tool,
// oldest first. A tool that is missing or never published has none.
func (s *Store) ToolVersionList(ctx context.Context, workspaceID, toolID string) ([]*store.ToolVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+toolVersionColumns+` FROM tool_versions
		WHERE workspace_id = $1 AND tool_id = $2 ORDER BY version`, workspaceID, toolID)
	if err != nil {
		return nil, fmt.Errorf("listing versions of tool %s: %w", toolID, err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanToolVersion)
	if err != nil {
		return nil, fmt.Errorf("listing versions of tool %s: %w", toolID, err)
	}
	return list, nil
}

func scanTool(row codec.Scanner) (*store.Tool, error) {
	var (
		t          store.Tool
		definition []byte
	)
	if err := row.Scan(&t.ID, &t.WorkspaceID, &t.Name, &definition, &t.Status, &t.Version,
		&t.CreatedAt, &t.UpdatedAt, &t.PublishedAt); err != nil {
		return nil, err
	}
	t.Definition = json.RawMessage(definition)
	t.CreatedAt = t.CreatedAt.UTC()
	t.UpdatedAt = t.UpdatedAt.UTC()
	t.PublishedAt = utcPtr(t.PublishedAt)
	return &t, nil
}

func scanToolVersion(row codec.Scanner) (*store.ToolVersion, error) {
	var (
		v          store.ToolVersion
		definition []byte
	)
	if err := row.Scan(&v.ToolID, &v.WorkspaceID, &v.Version, &v.Name, &definition, &v.PublishedAt); err != nil {
		return nil, err
	}
	v.Definition = json.RawMessage(definition)
	v.PublishedAt = v.PublishedAt.UTC()
	return &v, nil
}

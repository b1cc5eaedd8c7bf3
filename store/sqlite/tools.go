package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

const toolColumns = `id, workspace_id, name, definition, status, version, created_at, updated_at, published_at`

// ToolInsert inserts t. An empty Status is stored as store.ToolStatusDraft.
// A duplicate ID or name is store.ErrConflict.
func (s *Store) ToolInsert(ctx context.Context, t *store.Tool) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO tools (`+toolColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.WorkspaceID, t.Name, codec.RawArg(t.Definition), cmp.Or(t.Status, store.ToolStatusDraft), t.Version,
		micros(t.CreatedAt), micros(t.UpdatedAt), microsPtr(t.PublishedAt))
	if err != nil {
		return fmt.Errorf("inserting tool %s: %w", t.ID, mapErr(err))
	}
	return nil
}

// ToolGet returns the workspace's tool with the given ID.
func (s *Store) ToolGet(ctx context.Context, workspaceID, id string) (*store.Tool, error) {
	t, err := scanTool(s.read.QueryRowContext(ctx,
		`SELECT `+toolColumns+` FROM tools WHERE workspace_id = ? AND id = ?`, workspaceID, id))
	if err != nil {
		return nil, fmt.Errorf("getting tool %s: %w", id, mapErr(err))
	}
	return t, nil
}

// ToolGetByName returns the workspace's tool with the given name.
func (s *Store) ToolGetByName(ctx context.Context, workspaceID, name string) (*store.Tool, error) {
	t, err := scanTool(s.read.QueryRowContext(ctx,
		`SELECT `+toolColumns+` FROM tools WHERE workspace_id = ? AND name = ?`, workspaceID, name))
	if err != nil {
		return nil, fmt.Errorf("getting tool named %q: %w", name, mapErr(err))
	}
	return t, nil
}

// ToolList returns a page of the workspace's tools, ordered by ID.
func (s *Store) ToolList(ctx context.Context, workspaceID string, p store.ListParams) ([]*store.Tool, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+toolColumns+` FROM tools
		WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, workspaceID, p.Cursor, p.EffectiveLimit())
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
	res, err := s.write.ExecContext(ctx, `UPDATE tools SET name = ?, definition = ?, updated_at = ?
		WHERE workspace_id = ? AND id = ?`,
		t.Name, codec.RawArg(t.Definition), micros(t.UpdatedAt), t.WorkspaceID, t.ID)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("updating tool %s: %w", t.ID, mapErr(err))
	}
	return nil
}

// ToolDelete deletes the workspace's tool and all its published versions.
func (s *Store) ToolDelete(ctx context.Context, workspaceID, id string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM tool_versions WHERE workspace_id = ? AND tool_id = ?`, workspaceID, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM tools WHERE workspace_id = ? AND id = ?`, workspaceID, id)
		if err != nil {
			return err
		}
		return affectedOne(res)
	})
	if err != nil {
		return fmt.Errorf("deleting tool %s: %w", id, mapErr(err))
	}
	return nil
}

// ToolPublish stores the tool's current draft as version latest+1 and marks
// the tool published, in one transaction.
func (s *Store) ToolPublish(ctx context.Context, workspaceID, id string, at time.Time) (*store.ToolVersion, error) {
	v := &store.ToolVersion{ToolID: id, WorkspaceID: workspaceID, PublishedAt: fromMicros(micros(at))}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var definition []byte
		if err := tx.QueryRowContext(ctx, `SELECT name, definition, version FROM tools WHERE workspace_id = ? AND id = ?`,
			workspaceID, id).Scan(&v.Name, &definition, &v.Version); err != nil {
			return err
		}
		v.Definition = json.RawMessage(definition)
		v.Version++
		if _, err := tx.ExecContext(ctx, `INSERT INTO tool_versions (tool_id, workspace_id, version, name, definition, published_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id, workspaceID, v.Version, v.Name, codec.RawArg(v.Definition), micros(at)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE tools SET status = ?, version = ?, published_at = ?
			WHERE workspace_id = ? AND id = ?`, store.ToolStatusPublished, v.Version, micros(at), workspaceID, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("publishing tool %s: %w", id, mapErr(err))
	}
	return v, nil
}

// ToolVersionGet returns one published version of the workspace's tool.
func (s *Store) ToolVersionGet(ctx context.Context, workspaceID, toolID string, version int) (*store.ToolVersion, error) {
	v, err := scanToolVersion(s.read.QueryRowContext(ctx, `SELECT tool_id, workspace_id, version, name, definition, published_at
		FROM tool_versions WHERE workspace_id = ? AND tool_id = ? AND version = ?`, workspaceID, toolID, version))
	if err != nil {
		return nil, fmt.Errorf("getting version %d of tool %s: %w", version, toolID, mapErr(err))
	}
	return v, nil
}

// ToolVersionList returns every published version of the workspace's tool,
// oldest first. A tool that is missing or never published has none.
func (s *Store) ToolVersionList(ctx context.Context, workspaceID, toolID string) ([]*store.ToolVersion, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT tool_id, workspace_id, version, name, definition, published_at
		FROM tool_versions WHERE workspace_id = ? AND tool_id = ? ORDER BY version`, workspaceID, toolID)
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
		t                    store.Tool
		definition           []byte
		createdAt, updatedAt int64
		publishedAt          sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.WorkspaceID, &t.Name, &definition, &t.Status, &t.Version,
		&createdAt, &updatedAt, &publishedAt); err != nil {
		return nil, err
	}
	t.Definition = json.RawMessage(definition)
	t.CreatedAt = fromMicros(createdAt)
	t.UpdatedAt = fromMicros(updatedAt)
	t.PublishedAt = fromMicrosPtr(publishedAt)
	return &t, nil
}

func scanToolVersion(row codec.Scanner) (*store.ToolVersion, error) {
	var (
		v           store.ToolVersion
		definition  []byte
		publishedAt int64
	)
	if err := row.Scan(&v.ToolID, &v.WorkspaceID, &v.Version, &v.Name, &definition, &publishedAt); err != nil {
		return nil, err
	}
	v.Definition = json.RawMessage(definition)
	v.PublishedAt = fromMicros(publishedAt)
	return &v, nil
}

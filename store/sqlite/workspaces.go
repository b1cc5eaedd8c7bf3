package sqlite

import (
	"context"
	"fmt"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

const workspaceColumns = `id, name, signing_secret, created_at`

// WorkspaceInsert inserts ws. A duplicate ID or name is store.ErrConflict.
func (s *Store) WorkspaceInsert(ctx context.Context, ws *store.Workspace) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO workspaces (`+workspaceColumns+`) VALUES (?, ?, ?, ?)`,
		ws.ID, ws.Name, bytesArg(ws.SigningSecret), micros(ws.CreatedAt))
	if err != nil {
		return fmt.Errorf("inserting workspace %s: %w", ws.ID, mapErr(err))
	}
	return nil
}

// WorkspaceGet returns the workspace with the given ID.
func (s *Store) WorkspaceGet(ctx context.Context, id string) (*store.Workspace, error) {
	ws, err := scanWorkspace(s.read.QueryRowContext(ctx, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("getting workspace %s: %w", id, mapErr(err))
	}
	return ws, nil
}

// WorkspaceGetByName returns the workspace with the given name.
func (s *Store) WorkspaceGetByName(ctx context.Context, name string) (*store.Workspace, error) {
	ws, err := scanWorkspace(s.read.QueryRowContext(ctx, `SELECT `+workspaceColumns+` FROM workspaces WHERE name = ?`, name))
	if err != nil {
		return nil, fmt.Errorf("getting workspace named %q: %w", name, mapErr(err))
	}
	return ws, nil
}

// WorkspaceList returns every workspace, ordered by ID.
func (s *Store) WorkspaceList(ctx context.Context) ([]*store.Workspace, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+workspaceColumns+` FROM workspaces ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("listing workspaces: %w", err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanWorkspace)
	if err != nil {
		return nil, fmt.Errorf("listing workspaces: %w", err)
	}
	return list, nil
}

func scanWorkspace(row codec.Scanner) (*store.Workspace, error) {
	var (
		ws        store.Workspace
		createdAt int64
	)
	if err := row.Scan(&ws.ID, &ws.Name, &ws.SigningSecret, &createdAt); err != nil {
		return nil, err
	}
	ws.CreatedAt = fromMicros(createdAt)
	return &ws, nil
}

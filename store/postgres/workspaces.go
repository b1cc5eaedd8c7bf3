package postgres

import (
	"context"
	"fmt"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

const workspaceColumns = `id, name, signing_secret, created_at`

// WorkspaceInsert inserts ws. A duplicate ID or name is store.ErrConflict.
func (s *Store) WorkspaceInsert(ctx context.Context, ws *store.Workspace) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO workspaces (`+workspaceColumns+`) VALUES ($1, $2, $3, $4)`,
		ws.ID, ws.Name, ws.SigningSecret, ws.CreatedAt)
	if err != nil {
		return fmt.Errorf("inserting workspace %s: %w", ws.ID, mapErr(err))
	}
	return nil
}

// WorkspaceGet returns the workspace with the given ID.
func (s *Store) WorkspaceGet(ctx context.Context, id string) (*store.Workspace, error) {
	ws, err := scanWorkspace(s.pool.QueryRow(ctx, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("getting workspace %s: %w", id, mapErr(err))
	}
	return ws, nil
}

// WorkspaceGetByName returns the workspace with the given name.
func (s *Store) WorkspaceGetByName(ctx context.Context, name string) (*store.Workspace, error) {
	ws, err := scanWorkspace(s.pool.QueryRow(ctx, `SELECT `+workspaceColumns+` FROM workspaces WHERE name = $1`, name))
	if err != nil {
		return nil, fmt.Errorf("getting workspace named %q: %w", name, mapErr(err))
	}
	return ws, nil
}

// WorkspaceList returns every workspace, ordered by ID.
func (s *Store) WorkspaceList(ctx context.Context) ([]*store.Workspace, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+workspaceColumns+` FROM workspaces ORDER BY id`)
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
	var ws store.Workspace
	if err := row.Scan(&ws.ID, &ws.Name, &ws.SigningSecret, &ws.CreatedAt); err != nil {
		return nil, err
	}
	ws.CreatedAt = ws.CreatedAt.UTC()
	return &ws, nil
}

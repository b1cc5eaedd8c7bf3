package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

const connectionColumns = `id, workspace_id, name, base_url, headers, config, auth, secrets, created_at, updated_at, limits`

// ConnectionInsert inserts c. A duplicate ID or name is store.ErrConflict.
func (s *Store) ConnectionInsert(ctx context.Context, c *store.Connection) error {
	headers, err := codec.HeadersArg(c.Headers)
	if err != nil {
		return fmt.Errorf("inserting connection %s: %w", c.ID, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO connections (`+connectionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		c.ID, c.WorkspaceID, c.Name, c.BaseURL, headers, codec.RawArg(c.Config), codec.RawArg(c.Auth), c.Secrets,
		c.CreatedAt, c.UpdatedAt, codec.RawArg(c.Limits))
	if err != nil {
		return fmt.Errorf("inserting connection %s: %w", c.ID, mapErr(err))
	}
	return nil
}

// ConnectionGet returns the workspace's connection with the given ID.
func (s *Store) ConnectionGet(ctx context.Context, workspaceID, id string) (*store.Connection, error) {
	c, err := scanConnection(s.pool.QueryRow(ctx,
		`SELECT `+connectionColumns+` FROM connections WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
	if err != nil {
		return nil, fmt.Errorf("getting connection %s: %w", id, mapErr(err))
	}
	return c, nil
}

// ConnectionGetByName returns the workspace's connection with the given name.
func (s *Store) ConnectionGetByName(ctx context.Context, workspaceID, name string) (*store.Connection, error) {
	c, err := scanConnection(s.pool.QueryRow(ctx,
		`SELECT `+connectionColumns+` FROM connections WHERE workspace_id = $1 AND name = $2`, workspaceID, name))
	if err != nil {
		return nil, fmt.Errorf("getting connection named %q: %w", name, mapErr(err))
	}
	return c, nil
}

// ConnectionList returns a page of the workspace's connections, ordered by ID.
func (s *Store) ConnectionList(ctx context.Context, workspaceID string, p store.ListParams) ([]*store.Connection, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+connectionColumns+` FROM connections
		WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`, workspaceID, p.Cursor, p.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("listing connections: %w", err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanConnection)
	if err != nil {
		return nil, fmt.Errorf("listing connections: %w", err)
	}
	return list, nil
}

// ConnectionUpdate replaces the name, base URL, headers, config, auth,
// secrets and update time of the connection.
func (s *Store) ConnectionUpdate(ctx context.Context, c *store.Connection) error {
	headers, err := codec.HeadersArg(c.Headers)
	if err != nil {
		return fmt.Errorf("updating connection %s: %w", c.ID, err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE connections
		SET name = $1, base_url = $2, headers = $3, config = $4, auth = $5, secrets = $6, updated_at = $7, limits = $8
		WHERE workspace_id = $9 AND id = $10`,
		c.Name, c.BaseURL, headers, codec.RawArg(c.Config), codec.RawArg(c.Auth), c.Secrets, c.UpdatedAt, codec.RawArg(c.Limits), c.WorkspaceID, c.ID)
	if err == nil {
		err = affectedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("updating connection %s: %w", c.ID, mapErr(err))
	}
	return nil
}

// ConnectionDelete deletes the workspace's connection with the given ID.
func (s *Store) ConnectionDelete(ctx context.Context, workspaceID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM connections WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
	if err == nil {
		err = affectedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("deleting connection %s: %w", id, mapErr(err))
	}
	return nil
}

func scanConnection(row codec.Scanner) (*store.Connection, error) {
	var (
		c                     store.Connection
		headers, config, auth []byte
		limits                []byte
	)
	if err := row.Scan(&c.ID, &c.WorkspaceID, &c.Name, &c.BaseURL, &headers, &config, &auth, &c.Secrets,
		&c.CreatedAt, &c.UpdatedAt, &limits); err != nil {
		return nil, err
	}
	if err := codec.DecodeJSON("headers", headers, &c.Headers); err != nil {
		return nil, err
	}
	c.Config = json.RawMessage(config)
	c.Auth = json.RawMessage(auth)
	c.Limits = json.RawMessage(limits)
	c.CreatedAt = c.CreatedAt.UTC()
	c.UpdatedAt = c.UpdatedAt.UTC()
	return &c, nil
}

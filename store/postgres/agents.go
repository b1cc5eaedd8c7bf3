package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

const agentColumns = `id, workspace_id, name, instructions, tools, model, adapters, created_at, updated_at`

// AgentInsert inserts a. A duplicate ID or name is store.ErrConflict.
func (s *Store) AgentInsert(ctx context.Context, a *store.Agent) error {
	tools, err := codec.AgentToolsArg(a.Tools)
	if err != nil {
		return fmt.Errorf("inserting agent %s: %w", a.ID, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO agents (`+agentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.ID, a.WorkspaceID, a.Name, a.Instructions, tools, codec.RawArg(a.Model), a.Adapters, a.CreatedAt, a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("inserting agent %s: %w", a.ID, mapErr(err))
	}
	return nil
}

// AgentGet returns the workspace's agent with the given ID.
func (s *Store) AgentGet(ctx context.Context, workspaceID, id string) (*store.Agent, error) {
	a, err := scanAgent(s.pool.QueryRow(ctx,
		`SELECT `+agentColumns+` FROM agents WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
	if err != nil {
		return nil, fmt.Errorf("getting agent %s: %w", id, mapErr(err))
	}
	return a, nil
}

// AgentGetUnscoped returns the agent with the given ID in any workspace.
func (s *Store) AgentGetUnscoped(ctx context.Context, id string) (*store.Agent, error) {
	a, err := scanAgent(s.pool.QueryRow(ctx, `SELECT `+agentColumns+` FROM agents WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("getting agent %s: %w", id, mapErr(err))
	}
	return a, nil
}

// AgentList returns a page of the workspace's agents, ordered by ID.
func (s *Store) AgentList(ctx context.Context, workspaceID string, p store.ListParams) ([]*store.Agent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+agentColumns+` FROM agents
		WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`, workspaceID, p.Cursor, p.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("listing agents: %w", err)
	}
	defer rows.Close()
	list, err := codec.Collect(rows, scanAgent)
	if err != nil {
		return nil, fmt.Errorf("listing agents: %w", err)
	}
	return list, nil
}

// AgentUpdate replaces the name, instructions, tools, model, adapters and
// update time of the agent.
func (s *Store) AgentUpdate(ctx context.Context, a *store.Agent) error {
	tools, err := codec.AgentToolsArg(a.Tools)
	if err != nil {
		return fmt.Errorf("updating agent %s: %w", a.ID, err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE agents
		SET name = $1, instructions = $2, tools = $3, model = $4, adapters = $5, updated_at = $6
		WHERE workspace_id = $7 AND id = $8`,
		a.Name, a.Instructions, tools, codec.RawArg(a.Model), a.Adapters, a.UpdatedAt, a.WorkspaceID, a.ID)
	if err == nil {
		err = affectedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("updating agent %s: %w", a.ID, mapErr(err))
	}
	return nil
}

// AgentDelete deletes the workspace's agent with the given ID.
func (s *Store) AgentDelete(ctx context.Context, workspaceID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM agents WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
	if err == nil {
		err = affectedOne(tag)
	}
	if err != nil {
		return fmt.Errorf("deleting agent %s: %w", id, mapErr(err))
	}
	return nil
}

func scanAgent(row codec.Scanner) (*store.Agent, error) {
	var (
		a            store.Agent
		tools, model []byte
	)
	if err := row.Scan(&a.ID, &a.WorkspaceID, &a.Name, &a.Instructions, &tools, &model, &a.Adapters,
		&a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	if err := codec.DecodeJSON("tools", tools, &a.Tools); err != nil {
		return nil, err
	}
	a.Model = json.RawMessage(model)
	a.CreatedAt = a.CreatedAt.UTC()
	a.UpdatedAt = a.UpdatedAt.UTC()
	return &a, nil
}

package sqlite

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
	_, err = s.write.ExecContext(ctx, `INSERT INTO agents (`+agentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.WorkspaceID, a.Name, a.Instructions, tools, codec.RawArg(a.Model), bytesArg(a.Adapters),
		micros(a.CreatedAt), micros(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("inserting agent %s: %w", a.ID, mapErr(err))
	}
	return nil
}

// AgentGet returns the workspace's agent with the given ID.
func (s *Store) AgentGet(ctx context.Context, workspaceID, id string) (*store.Agent, error) {
	a, err := scanAgent(s.read.QueryRowContext(ctx,
		`SELECT `+agentColumns+` FROM agents WHERE workspace_id = ? AND id = ?`, workspaceID, id))
	if err != nil {
		return nil, fmt.Errorf("getting agent %s: %w", id, mapErr(err))
	}
	return a, nil
}

// AgentGetUnscoped returns the agent with the given ID in any workspace.
func (s *Store) AgentGetUnscoped(ctx context.Context, id string) (*store.Agent, error) {
	a, err := scanAgent(s.read.QueryRowContext(ctx, `SELECT `+agentColumns+` FROM agents WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("getting agent %s: %w", id, mapErr(err))
	}
	return a, nil
}

// AgentList returns a page of the workspace's agents, ordered by ID.
func (s *Store) AgentList(ctx context.Context, workspaceID string, p store.ListParams) ([]*store.Agent, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+agentColumns+` FROM agents
		WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, workspaceID, p.Cursor, p.EffectiveLimit())
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
	res, err := s.write.ExecContext(ctx, `UPDATE agents
		SET name = ?, instructions = ?, tools = ?, model = ?, adapters = ?, updated_at = ?
		WHERE workspace_id = ? AND id = ?`,
		a.Name, a.Instructions, tools, codec.RawArg(a.Model), bytesArg(a.Adapters), micros(a.UpdatedAt), a.WorkspaceID, a.ID)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("updating agent %s: %w", a.ID, mapErr(err))
	}
	return nil
}

// AgentDelete deletes the workspace's agent with the given ID.
func (s *Store) AgentDelete(ctx context.Context, workspaceID, id string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM agents WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("deleting agent %s: %w", id, mapErr(err))
	}
	return nil
}

func scanAgent(row codec.Scanner) (*store.Agent, error) {
	var (
		a                    store.Agent
		tools, model         []byte
		createdAt, updatedAt int64
	)
	if err := row.Scan(&a.ID, &a.WorkspaceID, &a.Name, &a.Instructions, &tools, &model, &a.Adapters,
		&createdAt, &updatedAt); err != nil {
		return nil, err
	}
	if err := codec.DecodeJSON("tools", tools, &a.Tools); err != nil {
		return nil, err
	}
	a.Model = json.RawMessage(model)
	a.CreatedAt = fromMicros(createdAt)
	a.UpdatedAt = fromMicros(updatedAt)
	return &a, nil
}

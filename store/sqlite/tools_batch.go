package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

// ToolWriteBatch implements store.ToolBatchStore: the updates, then the
// inserts, through two prepared statements in one transaction.
func (s *Store) ToolWriteBatch(ctx context.Context, b *store.ToolBatch) error {
	if err := b.Check(); err != nil {
		return err
	}
	if len(b.Update) == 0 && len(b.Insert) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if len(b.Update) > 0 {
			update, err := tx.PrepareContext(ctx, `UPDATE tools SET name = ?, definition = ?, updated_at = ?
				WHERE workspace_id = ? AND id = ?`)
			if err != nil {
				return err
			}
			defer update.Close()
			for _, t := range b.Update {
				res, err := update.ExecContext(ctx, t.Name, codec.RawArg(t.Definition), micros(t.UpdatedAt), b.WorkspaceID, t.ID)
				if err == nil {
					err = affectedOne(res)
				}
				if err != nil {
					return fmt.Errorf("updating tool %s: %w", t.ID, mapErr(err))
				}
			}
		}
		if len(b.Insert) > 0 {
			insert, err := tx.PrepareContext(ctx, `INSERT INTO tools (`+toolColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer insert.Close()
			for _, t := range b.Insert {
				if _, err := insert.ExecContext(ctx, t.ID, b.WorkspaceID, t.Name, codec.RawArg(t.Definition),
					cmp.Or(t.Status, store.ToolStatusDraft), t.Version, micros(t.CreatedAt), micros(t.UpdatedAt),
					microsPtr(t.PublishedAt)); err != nil {
					return fmt.Errorf("inserting tool %s: %w", t.ID, mapParentErr(err))
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("writing %d tools: %w", len(b.Update)+len(b.Insert), err)
	}
	return nil
}

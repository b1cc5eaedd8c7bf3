package postgres

import (
	"cmp"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

// ToolWriteBatch implements store.ToolBatchStore: the updates, then the
// inserts, sent as one pipelined batch in one transaction.
func (s *Store) ToolWriteBatch(ctx context.Context, b *store.ToolBatch) error {
	if err := b.Check(); err != nil {
		return err
	}
	if len(b.Update) == 0 && len(b.Insert) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var batch pgx.Batch
		for _, t := range b.Update {
			batch.Queue(`UPDATE tools SET name = $1, definition = $2, updated_at = $3 WHERE workspace_id = $4 AND id = $5`,
				t.Name, codec.RawArg(t.Definition), t.UpdatedAt, b.WorkspaceID, t.ID)
		}
		for _, t := range b.Insert {
			batch.Queue(`INSERT INTO tools (`+toolColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				t.ID, b.WorkspaceID, t.Name, codec.RawArg(t.Definition), cmp.Or(t.Status, store.ToolStatusDraft), t.Version,
				t.CreatedAt, t.UpdatedAt, t.PublishedAt)
		}
		results := tx.SendBatch(ctx, &batch)
		defer results.Close()
		for _, t := range b.Update {
			tag, err := results.Exec()
			if err == nil {
				err = affectedOne(tag)
			}
			if err != nil {
				return fmt.Errorf("updating tool %s: %w", t.ID, mapErr(err))
			}
		}
		for _, t := range b.Insert {
			if _, err := results.Exec(); err != nil {
				return fmt.Errorf("inserting tool %s: %w", t.ID, mapParentErr(err))
			}
		}
		return results.Close()
	})
	if err != nil {
		return fmt.Errorf("writing %d tools: %w", len(b.Update)+len(b.Insert), err)
	}
	return nil
}

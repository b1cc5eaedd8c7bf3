package store

import "context"

// ToolBatch is a set of drafts written together: new tools and replaced
// drafts of existing ones, all of one workspace. The OpenAPI import writes
// a whole document's drafts as one batch.
type ToolBatch struct {
	// WorkspaceID scopes the batch: every tool must belong to it.
	WorkspaceID string
	// Update replaces the drafts of existing tools, as ToolUpdate does
	// (Name, Definition, UpdatedAt; the publication state and published
	// versions are left alone). They are written first.
	Update []*Tool
	// Insert adds new tools, as ToolInsert does.
	Insert []*Tool
}

// ToolBatchStore writes many drafts in one transaction. Every Store
// implements it.
type ToolBatchStore interface {
	// ToolWriteBatch writes b in one transaction: all of it, or nothing
	// when one write fails. A duplicate ID or name is ErrConflict; an
	// update of a tool missing from the workspace is ErrNotFound; a tool
	// of another workspace than b.WorkspaceID is refused before anything
	// is written.
	ToolWriteBatch(ctx context.Context, b *ToolBatch) error
}

// Check reports a tool of the batch that belongs to another workspace.
func (b *ToolBatch) Check() error {
	for _, list := range [][]*Tool{b.Update, b.Insert} {
		for _, t := range list {
			if t.WorkspaceID != b.WorkspaceID {
				return &batchWorkspaceError{toolID: t.ID}
			}
		}
	}
	return nil
}

type batchWorkspaceError struct{ toolID string }

func (e *batchWorkspaceError) Error() string {
	return "tool " + e.toolID + " belongs to another workspace than its batch"
}

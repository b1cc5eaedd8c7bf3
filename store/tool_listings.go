package store

import (
	"context"
	"encoding/json"
)

// ToolVersionRef names one published version of a tool.
type ToolVersionRef struct {
	ToolID  string
	Version int
}

// ToolVersionListing is a published tool version rendered in one listing
// format (package listing), stored with the version so that listing an
// agent's tools converts nothing. It is derived from the version's
// definition alone, so it can be rendered again at any time.
type ToolVersionListing struct {
	ToolID  string
	Version int
	Format  string
	// Revision is the revision of the rendering code that wrote it; the
	// listing renders again what another revision wrote.
	Revision int
	// Tool is the tool as listed: JSON, kept byte for byte.
	Tool json.RawMessage
	// Notes is what else the listing keeps of the rendering: JSON, nil
	// when there is nothing.
	Notes json.RawMessage
}

// ToolVersionListingStore keeps the renderings of published tool versions.
// Every Store implements it.
type ToolVersionListingStore interface {
	// ToolVersionListingPut stores renderings of the workspace's published
	// versions in one transaction, replacing any of the same version and
	// format. A rendering of a version the workspace does not have (another
	// workspace's, or deleted meanwhile) is skipped.
	ToolVersionListingPut(ctx context.Context, workspaceID string, list []*ToolVersionListing) error
	// ToolVersionListingGet returns the renderings in format of the
	// workspace's versions refs, in no particular order; a version without
	// one (or not the workspace's) has none in the result.
	ToolVersionListingGet(ctx context.Context, workspaceID, format string, refs []ToolVersionRef) ([]*ToolVersionListing, error)
}

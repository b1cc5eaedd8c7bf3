package admin

import (
	"context"

	"github.com/toolgate/toolgate/listing"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// storeListings renders a version just published in every listing format
// and stores the renderings with it, so that no listing of an agent's
// tools converts it. It only logs a failure: the version is published, and
// its first listing renders and stores what is missing.
func (s *Tools) storeListings(ctx context.Context, v *store.ToolVersion) {
	p, err := tools.PrepareJSON(v.ToolID, v.Version, v.Definition)
	if err == nil {
		var rows []*store.ToolVersionListing
		if rows, err = listing.Render(p); err == nil {
			err = s.d.store.ToolVersionListingPut(context.WithoutCancel(ctx), v.WorkspaceID, rows)
		}
	}
	if err != nil {
		s.d.log.Warn("storing the listings of a published tool version", "workspace_id", v.WorkspaceID,
			"tool_id", v.ToolID, "version", v.Version, "err", err)
	}
}

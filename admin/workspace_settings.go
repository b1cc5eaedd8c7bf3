package admin

import (
	"context"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/tools"
)

// ApprovalSettings are how a workspace hears of approval requests.
type ApprovalSettings struct {
	// WebhookURL receives a signed POST (event approval.requested, signed
	// as callbacks are) for every call that awaits approval; empty means
	// none.
	WebhookURL string `json:"webhook_url"`
}

// WorkspacePatch changes a workspace's settings; an absent member keeps
// its value.
type WorkspacePatch struct {
	Approvals *ApprovalSettingsPatch `json:"approvals,omitempty"`
}

// ApprovalSettingsPatch changes the approval settings.
type ApprovalSettingsPatch struct {
	// WebhookURL is an http or https URL, or "" for none.
	WebhookURL *string `json:"webhook_url,omitempty"`
}

// maxWebhookURLBytes bounds a webhook URL.
const maxWebhookURLBytes = 2048

// Patch changes the workspace's settings and returns the workspace.
func (s *Workspaces) Patch(ctx context.Context, workspaceID string, patch []byte) (*Workspace, error) {
	var p WorkspacePatch
	if err := problem.DecodeJSON(patch, &p); err != nil {
		return nil, err
	}
	settings, err := s.d.store.WorkspaceSettingsGet(ctx, workspaceID)
	if err != nil {
		return nil, notFoundAs(err, "workspace")
	}
	if p.Approvals != nil && p.Approvals.WebhookURL != nil {
		url := *p.Approvals.WebhookURL
		if url != "" && (len(url) > maxWebhookURLBytes || !tools.IsHTTPURL(url)) {
			return nil, problem.Invalidf([]tools.FieldError{{Path: "approvals.webhook_url",
				Message: "must be an absolute http or https URL of at most 2048 bytes, or empty for none"}}, "the workspace settings are invalid")
		}
		settings.ApprovalWebhookURL = url
	}
	settings.UpdatedAt = s.d.now().UTC()
	if err := s.d.store.WorkspaceSettingsPut(ctx, settings); err != nil {
		return nil, notFoundAs(err, "workspace")
	}
	return s.Get(ctx, workspaceID)
}

// approvalSettings reads the workspace's approval settings.
func (s *Workspaces) approvalSettings(ctx context.Context, workspaceID string) (ApprovalSettings, error) {
	settings, err := s.d.store.WorkspaceSettingsGet(ctx, workspaceID)
	if err != nil {
		return ApprovalSettings{}, notFoundAs(err, "workspace")
	}
	return ApprovalSettings{WebhookURL: settings.ApprovalWebhookURL}, nil
}

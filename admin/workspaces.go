package admin

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/toolgate/toolgate/tenant"
)

// CallbackSignatureHeader names the header that signs callbacks.
const CallbackSignatureHeader = "X-Toolgate-Signature"

// Workspaces are the use cases of the admin's own workspace.
type Workspaces struct{ d *deps }

// Workspace is the admin's workspace, with how to verify its callbacks.
type Workspace struct {
	ID        string           `json:"id"`
	Name      string           `json:"name"`
	CreatedAt time.Time        `json:"created_at"`
	Callbacks CallbackSettings `json:"callbacks"`
	Approvals ApprovalSettings `json:"approvals"`
}

// CallbackSettings tells an admin how to verify callbacks.
type CallbackSettings struct {
	SignatureHeader string `json:"signature_header"`
	Scheme          string `json:"scheme"`
	SigningSecret   string `json:"signing_secret"`
}

// Get shows the workspace, including the secret that signs its callbacks
// (admins configure their receivers with it).
func (s *Workspaces) Get(ctx context.Context, workspaceID string) (*Workspace, error) {
	ws, err := s.d.store.WorkspaceGet(ctx, workspaceID)
	if err != nil {
		return nil, notFoundAs(err, "workspace")
	}
	secret, err := s.d.box.Open(ws.SigningSecret, tenant.SigningSecretAAD(ws.ID))
	if err != nil {
		return nil, err
	}
	approvals, err := s.approvalSettings(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	return &Workspace{
		Approvals: approvals,
		ID:        ws.ID, Name: ws.Name, CreatedAt: ws.CreatedAt,
		Callbacks: CallbackSettings{
			SignatureHeader: CallbackSignatureHeader,
			Scheme:          `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">, keyed with the bytes signing_secret (hex) decodes to`,
			SigningSecret:   hex.EncodeToString(secret),
		},
	}, nil
}

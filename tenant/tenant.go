// Package tenant creates workspaces and their admin keys: what the serve
// bootstrap, the `toolgate workspaces` command and tests share.
package tenant

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/toolgate/toolgate/apikey"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
)

// SigningSecretAAD binds a workspace's sealed signing secret to it.
func SigningSecretAAD(workspaceID string) []byte {
	return []byte("workspace:" + workspaceID)
}

// Create makes a workspace with a fresh callback signing secret.
func Create(ctx context.Context, st store.Store, box *secrets.Box, name string) (*store.Workspace, error) {
	ws := &store.Workspace{ID: store.NewID(), Name: name, CreatedAt: time.Now().UTC()}
	signing := make([]byte, 32)
	if _, err := rand.Read(signing); err != nil {
		return nil, err
	}
	ws.SigningSecret = box.Seal(signing, SigningSecretAAD(ws.ID))
	if err := st.WorkspaceInsert(ctx, ws); err != nil {
		return nil, fmt.Errorf("creating workspace %q: %w", name, err)
	}
	return ws, nil
}

// AddAdminKey stores an admin key for a workspace (generated when plain is
// empty) and returns its plaintext.
func AddAdminKey(ctx context.Context, st store.Store, workspaceID, name, plain string) (string, error) {
	var prefix string
	var hash []byte
	if plain == "" {
		plain, prefix, hash = apikey.New()
	} else {
		prefix, hash = apikey.Display(plain), apikey.Hash(plain)
	}
	key := &store.APIKey{ID: store.NewID(), WorkspaceID: workspaceID, Name: name, Role: store.RoleAdmin,
		Prefix: prefix, Hash: hash, CreatedAt: time.Now().UTC()}
	if err := st.APIKeyInsert(ctx, key); err != nil {
		return "", fmt.Errorf("storing admin key: %w", err)
	}
	return plain, nil
}

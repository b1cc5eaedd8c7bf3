package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

func testAPIKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	admin := newAPIKey(ws.ID, "admin")
	agent := newAPIKey(ws.ID, "agent")
	agent.Role = store.RoleAgent
	agent.AgentID = store.NewID()
	for _, key := range []*store.APIKey{admin, agent} {
		if err := s.APIKeyInsert(ctx, key); err != nil {
			t.Fatalf("APIKeyInsert(%s): %v", key.Name, err)
		}
	}

	for _, want := range []*store.APIKey{admin, agent} {
		got, err := s.APIKeyGetByHash(ctx, want.Hash)
		if err != nil {
			t.Fatalf("APIKeyGetByHash(%s): %v", want.Name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("APIKeyGetByHash(%s) mismatch (-want +got):\n%s", want.Name, diff)
		}
	}
	_, err := s.APIKeyGetByHash(ctx, []byte("no such hash"))
	wantErr(t, "APIKeyGetByHash(missing)", err, store.ErrNotFound)

	dupHash := newAPIKey(ws.ID, "other")
	dupHash.Hash = admin.Hash
	wantErr(t, "APIKeyInsert(same hash)", s.APIKeyInsert(ctx, dupHash), store.ErrConflict)
	dupID := newAPIKey(ws.ID, "other")
	dupID.ID = admin.ID
	wantErr(t, "APIKeyInsert(same ID)", s.APIKeyInsert(ctx, dupID), store.ErrConflict)

	if n, err := s.APIKeyCount(ctx); err != nil || n != 2 {
		t.Errorf("APIKeyCount: got %d, %v; want 2, nil", n, err)
	}

	revokedAt := at(time.Hour)
	if err := s.APIKeyRevoke(ctx, ws.ID, admin.ID, revokedAt); err != nil {
		t.Fatalf("APIKeyRevoke: %v", err)
	}
	_, err = s.APIKeyGetByHash(ctx, admin.Hash)
	wantErr(t, "APIKeyGetByHash(revoked)", err, store.ErrNotFound)
	if n, err := s.APIKeyCount(ctx); err != nil || n != 1 {
		t.Errorf("APIKeyCount after revoke: got %d, %v; want 1, nil", n, err)
	}
	// Revoking again succeeds and keeps the first revocation time.
	if err := s.APIKeyRevoke(ctx, ws.ID, admin.ID, at(2*time.Hour)); err != nil {
		t.Errorf("APIKeyRevoke(again): %v", err)
	}
	wantErr(t, "APIKeyRevoke(missing)", s.APIKeyRevoke(ctx, ws.ID, store.NewID(), revokedAt), store.ErrNotFound)

	list, err := s.APIKeyList(ctx, ws.ID, store.ListParams{})
	if err != nil {
		t.Fatalf("APIKeyList: %v", err)
	}
	revoked := *admin
	revoked.RevokedAt = &revokedAt
	want := []*store.APIKey{&revoked, agent}
	if admin.ID > agent.ID {
		want = []*store.APIKey{agent, &revoked}
	}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("APIKeyList mismatch (-want +got):\n%s", diff)
	}

	// A key inserted already revoked is never found by hash.
	preRevoked := newAPIKey(ws.ID, "pre-revoked")
	preRevoked.RevokedAt = ptr(baseTime)
	if err := s.APIKeyInsert(ctx, preRevoked); err != nil {
		t.Fatalf("APIKeyInsert(pre-revoked): %v", err)
	}
	_, err = s.APIKeyGetByHash(ctx, preRevoked.Hash)
	wantErr(t, "APIKeyGetByHash(pre-revoked)", err, store.ErrNotFound)
	if n, err := s.APIKeyCount(ctx); err != nil || n != 1 {
		t.Errorf("APIKeyCount with pre-revoked key: got %d, %v; want 1, nil", n, err)
	}
}

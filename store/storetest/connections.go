package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

func testConnections(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")

	// Each case round-trips through insert and get: JSON byte for byte,
	// nil as nil and empty as empty.
	roundTrips := []struct {
		name   string
		mutate func(c *store.Connection)
	}{
		{"full", func(c *store.Connection) {}},
		{"nil fields", func(c *store.Connection) {
			c.Headers, c.Config, c.Auth, c.Secrets, c.Limits = nil, nil, nil, nil, nil
		}},
		{"empty headers", func(c *store.Connection) { c.Headers = map[string]string{} }},
		{"JSON kept byte for byte", func(c *store.Connection) {
			c.Config = json.RawMessage(`{ "b": [1, 2.50, "\u00e9é"],  "a": null }`)
			c.Auth = json.RawMessage(`{"type":"oauth2","scopes":["a b","c"]}`)
			c.Headers = map[string]string{"Accept": "application/json", "X-Empty": ""}
		}},
	}
	for _, tt := range roundTrips {
		t.Run(tt.name, func(t *testing.T) {
			want := newConnection(ws.ID, tt.name)
			tt.mutate(want)
			if err := s.ConnectionInsert(ctx, want); err != nil {
				t.Fatalf("ConnectionInsert: %v", err)
			}
			got, err := s.ConnectionGet(ctx, ws.ID, want.ID)
			if err != nil {
				t.Fatalf("ConnectionGet: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ConnectionGet mismatch (-want +got):\n%s", diff)
			}
			got, err = s.ConnectionGetByName(ctx, ws.ID, want.Name)
			if err != nil {
				t.Fatalf("ConnectionGetByName: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ConnectionGetByName mismatch (-want +got):\n%s", diff)
			}
		})
	}

	conn := newConnection(ws.ID, "crm")
	if err := s.ConnectionInsert(ctx, conn); err != nil {
		t.Fatalf("ConnectionInsert(crm): %v", err)
	}
	wantErr(t, "ConnectionInsert(same name)", s.ConnectionInsert(ctx, newConnection(ws.ID, "crm")), store.ErrConflict)
	dupID := newConnection(ws.ID, "crm-2")
	dupID.ID = conn.ID
	wantErr(t, "ConnectionInsert(same ID)", s.ConnectionInsert(ctx, dupID), store.ErrConflict)
	if err := s.ConnectionInsert(ctx, newConnection(other.ID, "crm")); err != nil {
		t.Errorf("ConnectionInsert(same name, other workspace): %v", err)
	}

	updated := *conn
	updated.Name = "crm-eu"
	updated.BaseURL = "https://eu.example.com"
	updated.Headers = map[string]string{"X-Region": "eu"}
	updated.Config = json.RawMessage(`{"region":"eu-west"}`)
	updated.Auth = nil
	updated.Limits = json.RawMessage(`[{"key":"user","rate":"5/m"}]`)
	updated.Secrets = []byte("resealed")
	updated.UpdatedAt = at(time.Minute)
	if err := s.ConnectionUpdate(ctx, &updated); err != nil {
		t.Fatalf("ConnectionUpdate: %v", err)
	}
	got, err := s.ConnectionGet(ctx, ws.ID, conn.ID)
	if err != nil {
		t.Fatalf("ConnectionGet after update: %v", err)
	}
	if diff := cmp.Diff(&updated, got); diff != "" {
		t.Errorf("ConnectionGet after update mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.ConnectionGetByName(ctx, ws.ID, "crm"); err == nil {
		t.Errorf("ConnectionGetByName(old name) after rename: got nil error, want %v", store.ErrNotFound)
	}

	clash := updated
	clash.Name = "full"
	wantErr(t, "ConnectionUpdate(name taken)", s.ConnectionUpdate(ctx, &clash), store.ErrConflict)
	missing := newConnection(ws.ID, "missing")
	wantErr(t, "ConnectionUpdate(missing)", s.ConnectionUpdate(ctx, missing), store.ErrNotFound)

	if err := s.ConnectionDelete(ctx, ws.ID, conn.ID); err != nil {
		t.Fatalf("ConnectionDelete: %v", err)
	}
	_, err = s.ConnectionGet(ctx, ws.ID, conn.ID)
	wantErr(t, "ConnectionGet(deleted)", err, store.ErrNotFound)
	wantErr(t, "ConnectionDelete(deleted)", s.ConnectionDelete(ctx, ws.ID, conn.ID), store.ErrNotFound)
	_, err = s.ConnectionGetByName(ctx, ws.ID, "missing")
	wantErr(t, "ConnectionGetByName(missing)", err, store.ErrNotFound)
}

package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")

	sess := newSession(ws.ID)
	if err := s.SessionInsert(ctx, sess); err != nil {
		t.Fatalf("SessionInsert: %v", err)
	}
	dup := newSession(ws.ID)
	dup.IDHash = sess.IDHash
	wantErr(t, "SessionInsert(same hash)", s.SessionInsert(ctx, dup), store.ErrConflict)
	wantErr(t, "SessionInsert(missing workspace)", s.SessionInsert(ctx, newSession(store.NewID())), store.ErrNotFound)

	got, err := s.SessionGet(ctx, sess.IDHash, baseTime)
	if err != nil {
		t.Fatalf("SessionGet: %v", err)
	}
	if diff := cmp.Diff(sess, got); diff != "" {
		t.Errorf("SessionGet mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.SessionGet(ctx, sess.IDHash, sess.ExpiresAt.Add(-time.Microsecond)); err != nil {
		t.Errorf("SessionGet(just before expiry): %v", err)
	}
	_, err = s.SessionGet(ctx, sess.IDHash, sess.ExpiresAt)
	wantErr(t, "SessionGet(at expiry)", err, store.ErrNotFound)
	_, err = s.SessionGet(ctx, "no such session", baseTime)
	wantErr(t, "SessionGet(missing)", err, store.ErrNotFound)

	if err := s.SessionDelete(ctx, sess.IDHash); err != nil {
		t.Fatalf("SessionDelete: %v", err)
	}
	_, err = s.SessionGet(ctx, sess.IDHash, baseTime)
	wantErr(t, "SessionGet(deleted)", err, store.ErrNotFound)
	wantErr(t, "SessionDelete(deleted)", s.SessionDelete(ctx, sess.IDHash), store.ErrNotFound)

	// SessionDeleteExpired removes sessions expired at or before now, so
	// they are gone even for an earlier clock, and keeps the rest.
	var sessions []*store.Session
	for i := range 3 {
		sess := newSession(ws.ID)
		sess.ExpiresAt = at(time.Duration(i+1) * time.Hour)
		if err := s.SessionInsert(ctx, sess); err != nil {
			t.Fatalf("SessionInsert(%d): %v", i, err)
		}
		sessions = append(sessions, sess)
	}
	n, err := s.SessionDeleteExpired(ctx, at(2*time.Hour))
	if err != nil || n != 2 {
		t.Errorf("SessionDeleteExpired: got %d, %v; want 2, nil", n, err)
	}
	for i, sess := range sessions {
		_, err := s.SessionGet(ctx, sess.IDHash, baseTime)
		if i < 2 {
			wantErr(t, "SessionGet(swept)", err, store.ErrNotFound)
		} else if err != nil {
			t.Errorf("SessionGet(unexpired after sweep): %v", err)
		}
	}
	if n, err := s.SessionDeleteExpired(ctx, at(2*time.Hour)); err != nil || n != 0 {
		t.Errorf("SessionDeleteExpired(again): got %d, %v; want 0, nil", n, err)
	}
	// An expired session that was not swept yet can still be deleted.
	if err := s.SessionDelete(ctx, sessions[2].IDHash); err != nil {
		t.Errorf("SessionDelete(expired, unswept): %v", err)
	}
}

// testSessionDeleteByKey: revoking a key ends its sessions, only its own,
// only in its workspace.
func testSessionDeleteByKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	a1, a2, b := newSession(ws.ID), newSession(ws.ID), newSession(ws.ID)
	a2.KeyID = a1.KeyID
	foreign := newSession(other.ID)
	foreign.KeyID = a1.KeyID
	for _, sess := range []*store.Session{a1, a2, b, foreign} {
		if err := s.SessionInsert(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.SessionDeleteByKey(ctx, ws.ID, a1.KeyID)
	if err != nil || n != 2 {
		t.Fatalf("SessionDeleteByKey: got %d, %v; want 2, nil", n, err)
	}
	for _, gone := range []*store.Session{a1, a2} {
		_, err := s.SessionGet(ctx, gone.IDHash, baseTime)
		wantErr(t, "SessionGet(of revoked key)", err, store.ErrNotFound)
	}
	for _, kept := range []*store.Session{b, foreign} {
		if _, err := s.SessionGet(ctx, kept.IDHash, baseTime); err != nil {
			t.Errorf("SessionGet(other key or workspace): %v", err)
		}
	}
}

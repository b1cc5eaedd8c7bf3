package storetest

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

func testOAuthTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	conn := mustInsertConnection(t, s, ws.ID, "crm")
	otherConn := mustInsertConnection(t, s, other.ID, "crm")

	_, err := s.OAuthTokenGet(ctx, ws.ID, conn.ID)
	wantErr(t, "OAuthTokenGet(none yet)", err, store.ErrNotFound)

	// Each write replaces the whole state and bumps the version by one; nil
	// stays nil.
	full := newOAuthToken(ws.ID, conn.ID)
	refreshed := newOAuthToken(ws.ID, conn.ID)
	refreshed.AccessToken = []byte("sealed-access-2")
	refreshed.Expiry = ptr(at(2 * time.Hour))
	refreshed.Scopes = "read"
	refreshed.LastRefreshedAt = ptr(at(time.Hour))
	refreshed.UpdatedAt = at(time.Hour)
	bare := &store.OAuthToken{
		WorkspaceID:  ws.ID,
		ConnectionID: conn.ID,
		Status:       store.OAuthStatusNeedsReauth,
		LastError:    "invalid_grant: refresh token revoked",
		UpdatedAt:    at(2 * time.Hour),
	}
	for i, want := range []*store.OAuthToken{full, refreshed, bare} {
		want.Version = 99 // ignored: the store sets it
		if err := s.OAuthTokenPut(ctx, want); err != nil {
			t.Fatalf("OAuthTokenPut(%d): %v", i+1, err)
		}
		if want.Version != int64(i+1) {
			t.Errorf("OAuthTokenPut(%d): got Version %d, want %d", i+1, want.Version, i+1)
		}
		got, err := s.OAuthTokenGet(ctx, ws.ID, conn.ID)
		if err != nil {
			t.Fatalf("OAuthTokenGet after put %d: %v", i+1, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("OAuthTokenGet after put %d mismatch (-want +got):\n%s", i+1, diff)
		}
	}

	// A connection that is missing or belongs to another workspace has no
	// token to write.
	wantErr(t, "OAuthTokenPut(missing connection)", s.OAuthTokenPut(ctx, newOAuthToken(ws.ID, store.NewID())), store.ErrNotFound)
	wantErr(t, "OAuthTokenPut(connection of another workspace)", s.OAuthTokenPut(ctx, newOAuthToken(ws.ID, otherConn.ID)), store.ErrNotFound)
	wantErr(t, "OAuthTokenPut(missing workspace)", s.OAuthTokenPut(ctx, newOAuthToken(store.NewID(), conn.ID)), store.ErrNotFound)
	_, err = s.OAuthTokenGet(ctx, other.ID, otherConn.ID)
	wantErr(t, "OAuthTokenGet(other workspace's connection after refused put)", err, store.ErrNotFound)

	if err := s.OAuthTokenDelete(ctx, ws.ID, conn.ID); err != nil {
		t.Fatalf("OAuthTokenDelete: %v", err)
	}
	_, err = s.OAuthTokenGet(ctx, ws.ID, conn.ID)
	wantErr(t, "OAuthTokenGet(deleted)", err, store.ErrNotFound)
	wantErr(t, "OAuthTokenDelete(deleted)", s.OAuthTokenDelete(ctx, ws.ID, conn.ID), store.ErrNotFound)

	// A new row after a delete starts again at version 1.
	again := newOAuthToken(ws.ID, conn.ID)
	if err := s.OAuthTokenPut(ctx, again); err != nil {
		t.Fatalf("OAuthTokenPut(after delete): %v", err)
	}
	if again.Version != 1 {
		t.Errorf("OAuthTokenPut(after delete): got Version %d, want 1", again.Version)
	}

	// Deleting the connection deletes its token.
	if err := s.ConnectionDelete(ctx, ws.ID, conn.ID); err != nil {
		t.Fatalf("ConnectionDelete: %v", err)
	}
	_, err = s.OAuthTokenGet(ctx, ws.ID, conn.ID)
	wantErr(t, "OAuthTokenGet(connection deleted)", err, store.ErrNotFound)
}

func testOAuthTokenUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	conn := mustInsertConnection(t, s, ws.ID, "crm")
	otherConn := mustInsertConnection(t, s, other.ID, "crm")

	mustNotRun := func(*store.OAuthToken) (*store.OAuthToken, error) {
		t.Errorf("fn called for a connection that is not the workspace's")
		return nil, nil
	}
	_, err := s.OAuthTokenUpdate(ctx, ws.ID, store.NewID(), mustNotRun)
	wantErr(t, "OAuthTokenUpdate(missing connection)", err, store.ErrNotFound)
	_, err = s.OAuthTokenUpdate(ctx, ws.ID, otherConn.ID, mustNotRun)
	wantErr(t, "OAuthTokenUpdate(connection of another workspace)", err, store.ErrNotFound)

	// Nothing to store and nothing stored: nil, and still no row.
	got, err := s.OAuthTokenUpdate(ctx, ws.ID, conn.ID, func(current *store.OAuthToken) (*store.OAuthToken, error) {
		if current != nil {
			t.Errorf("fn(no token yet): got current %+v, want nil", current)
		}
		return nil, nil
	})
	if err != nil || got != nil {
		t.Errorf("OAuthTokenUpdate(nil result, no row): got %+v, %v; want nil, nil", got, err)
	}
	_, err = s.OAuthTokenGet(ctx, ws.ID, conn.ID)
	wantErr(t, "OAuthTokenGet after nil update", err, store.ErrNotFound)

	// The first write is version 1. The workspace and connection are the
	// call's, whatever fn returns.
	first := newOAuthToken(ws.ID, conn.ID)
	got, err = s.OAuthTokenUpdate(ctx, ws.ID, conn.ID, func(current *store.OAuthToken) (*store.OAuthToken, error) {
		next := *first
		next.WorkspaceID, next.ConnectionID, next.Version = other.ID, otherConn.ID, 42
		return &next, nil
	})
	if err != nil {
		t.Fatalf("OAuthTokenUpdate(first): %v", err)
	}
	want := *first
	want.Version = 1
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("OAuthTokenUpdate(first) result mismatch (-want +got):\n%s", diff)
	}
	stored, err := s.OAuthTokenGet(ctx, ws.ID, conn.ID)
	if err != nil {
		t.Fatalf("OAuthTokenGet after first update: %v", err)
	}
	if diff := cmp.Diff(&want, stored); diff != "" {
		t.Errorf("OAuthTokenGet after first update mismatch (-want +got):\n%s", diff)
	}
	_, err = s.OAuthTokenGet(ctx, other.ID, otherConn.ID)
	wantErr(t, "OAuthTokenGet(the connection fn named)", err, store.ErrNotFound)

	// fn sees the stored state; its result is stored as the next version.
	got, err = s.OAuthTokenUpdate(ctx, ws.ID, conn.ID, func(current *store.OAuthToken) (*store.OAuthToken, error) {
		if diff := cmp.Diff(stored, current); diff != "" {
			t.Errorf("fn(second) current mismatch (-want +got):\n%s", diff)
		}
		next := *current
		next.AccessToken = []byte("sealed-access-2")
		next.LastRefreshedAt = ptr(at(time.Hour))
		next.UpdatedAt = at(time.Hour)
		return &next, nil
	})
	if err != nil {
		t.Fatalf("OAuthTokenUpdate(second): %v", err)
	}
	if got.Version != 2 || string(got.AccessToken) != "sealed-access-2" {
		t.Errorf("OAuthTokenUpdate(second): got version %d, access token %q; want 2, %q",
			got.Version, got.AccessToken, "sealed-access-2")
	}
	second, err := s.OAuthTokenGet(ctx, ws.ID, conn.ID)
	if err != nil {
		t.Fatalf("OAuthTokenGet after second update: %v", err)
	}
	if diff := cmp.Diff(got, second); diff != "" {
		t.Errorf("OAuthTokenGet after second update differs from the returned state (-returned +stored):\n%s", diff)
	}

	// fn failing stores nothing and returns its error.
	errRefresh := errors.New("token endpoint said no")
	got, err = s.OAuthTokenUpdate(ctx, ws.ID, conn.ID, func(current *store.OAuthToken) (*store.OAuthToken, error) {
		bad := *current
		bad.AccessToken = []byte("must not be stored")
		return &bad, errRefresh
	})
	if !errors.Is(err, errRefresh) || got != nil {
		t.Errorf("OAuthTokenUpdate(fn fails): got %+v, %v; want nil, %v", got, err, errRefresh)
	}
	// fn returning nil stores nothing and returns the current state.
	got, err = s.OAuthTokenUpdate(ctx, ws.ID, conn.ID, func(*store.OAuthToken) (*store.OAuthToken, error) { return nil, nil })
	if err != nil {
		t.Fatalf("OAuthTokenUpdate(nil result): %v", err)
	}
	if diff := cmp.Diff(second, got); diff != "" {
		t.Errorf("OAuthTokenUpdate(nil result) mismatch (-want +got):\n%s", diff)
	}
	after, err := s.OAuthTokenGet(ctx, ws.ID, conn.ID)
	if err != nil {
		t.Fatalf("OAuthTokenGet after failed and empty updates: %v", err)
	}
	if diff := cmp.Diff(second, after); diff != "" {
		t.Errorf("OAuthTokenGet after failed and empty updates mismatch (-want +got):\n%s", diff)
	}

	// Put and Update share the version sequence.
	put := newOAuthToken(ws.ID, conn.ID)
	if err := s.OAuthTokenPut(ctx, put); err != nil {
		t.Fatalf("OAuthTokenPut: %v", err)
	}
	if put.Version != 3 {
		t.Errorf("OAuthTokenPut after two updates: got Version %d, want 3", put.Version)
	}
	got, err = s.OAuthTokenUpdate(ctx, ws.ID, conn.ID, func(current *store.OAuthToken) (*store.OAuthToken, error) {
		return current, nil
	})
	if err != nil || got.Version != 4 {
		t.Errorf("OAuthTokenUpdate after put: got version %d, %v; want 4, nil", got.Version, err)
	}
}

// testOAuthTokenUpdateConcurrent runs many updates of one connection at once
// and checks that their fns never overlap and each saw the version the
// previous one wrote.
func testOAuthTokenUpdateConcurrent(t *testing.T, s store.Store) {
	ws := mustInsertWorkspace(t, s, "acme")
	conn := mustInsertConnection(t, s, ws.ID, "crm")
	versions := checkSerialUpdates(t, []store.Store{s}, ws.ID, conn.ID, 20)
	want := make([]int64, 20)
	for i := range want {
		want[i] = int64(i)
	}
	if diff := cmp.Diff(want, versions); diff != "" {
		t.Errorf("versions seen by successive fns mismatch (-want +got):\n%s", diff)
	}
}

// OAuthTokenUpdateAcrossStores checks that OAuthTokenUpdate excludes across
// stores sharing one database, as replicas do: callers per store call it at
// once on the workspace's connection, no two fns run at the same time, and
// each fn sees the version the previous one wrote. The connection must have
// no token yet.
func OAuthTokenUpdateAcrossStores(t *testing.T, stores []store.Store, workspaceID, connectionID string, callers int) {
	t.Helper()
	n := len(stores) * callers
	versions := checkSerialUpdates(t, stores, workspaceID, connectionID, callers)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i)
	}
	if diff := cmp.Diff(want, versions); diff != "" {
		t.Errorf("versions seen by successive fns mismatch (-want +got):\n%s", diff)
	}
}

// checkSerialUpdates starts callers updates per store at once and returns,
// in the order the fns ran, the version each saw (0 for no token). It fails
// t if two fns ever ran at the same time or the final version is wrong.
func checkSerialUpdates(t *testing.T, stores []store.Store, workspaceID, connectionID string, callers int) []int64 {
	t.Helper()
	var (
		inside   atomic.Int32
		overlaps atomic.Int32
		mu       sync.Mutex
		seen     []int64
		start    = make(chan struct{})
		wg       sync.WaitGroup
	)
	for si, s := range stores {
		for ci := range callers {
			wg.Go(func() {
				<-start
				_, err := s.OAuthTokenUpdate(t.Context(), workspaceID, connectionID, func(current *store.OAuthToken) (*store.OAuthToken, error) {
					if inside.Add(1) != 1 {
						overlaps.Add(1)
					}
					defer inside.Add(-1)
					var version int64
					if current != nil {
						version = current.Version
					}
					mu.Lock()
					seen = append(seen, version)
					mu.Unlock()
					// Give a caller that wrongly got in the chance to run
					// while this fn is inside.
					for range 10 {
						runtime.Gosched()
					}
					next := newOAuthToken(workspaceID, connectionID)
					next.LastError = fmt.Sprintf("store %d caller %d saw version %d", si, ci, version)
					return next, nil
				})
				if err != nil {
					t.Errorf("OAuthTokenUpdate(store %d, caller %d): %v", si, ci, err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d fns ran while another was running, want 0", n)
	}
	final, err := stores[0].OAuthTokenGet(t.Context(), workspaceID, connectionID)
	if err != nil {
		t.Fatalf("OAuthTokenGet after concurrent updates: %v", err)
	}
	if want := int64(len(stores) * callers); final.Version != want {
		t.Errorf("final version: got %d, want %d", final.Version, want)
	}
	return seen
}

func testOAuthStates(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	conn := mustInsertConnection(t, s, ws.ID, "crm")
	otherConn := mustInsertConnection(t, s, other.ID, "crm")

	mustInsert := func(st *store.OAuthState) {
		t.Helper()
		if err := s.OAuthStateInsert(ctx, st); err != nil {
			t.Fatalf("OAuthStateInsert: %v", err)
		}
	}
	consume := func(hash string, now time.Time) (*store.OAuthState, error) {
		return s.OAuthStateConsume(ctx, hash, now)
	}

	state := newOAuthState(ws.ID, conn.ID)
	mustInsert(state)
	dup := newOAuthState(ws.ID, conn.ID)
	dup.StateHash = state.StateHash
	wantErr(t, "OAuthStateInsert(same hash)", s.OAuthStateInsert(ctx, dup), store.ErrConflict)
	wantErr(t, "OAuthStateInsert(missing connection)", s.OAuthStateInsert(ctx, newOAuthState(ws.ID, store.NewID())), store.ErrNotFound)
	wantErr(t, "OAuthStateInsert(connection of another workspace)", s.OAuthStateInsert(ctx, newOAuthState(ws.ID, otherConn.ID)), store.ErrNotFound)

	// A state is good once.
	got, err := consume(state.StateHash, at(time.Minute))
	if err != nil {
		t.Fatalf("OAuthStateConsume: %v", err)
	}
	if diff := cmp.Diff(state, got); diff != "" {
		t.Errorf("OAuthStateConsume mismatch (-want +got):\n%s", diff)
	}
	_, err = consume(state.StateHash, at(time.Minute))
	wantErr(t, "OAuthStateConsume(again)", err, store.ErrNotFound)
	_, err = consume("no such state", at(time.Minute))
	wantErr(t, "OAuthStateConsume(missing)", err, store.ErrNotFound)

	// An expired state is refused, and gone: it cannot be used even with an
	// earlier clock.
	expired := newOAuthState(ws.ID, conn.ID)
	mustInsert(expired)
	_, err = consume(expired.StateHash, expired.ExpiresAt)
	wantErr(t, "OAuthStateConsume(at expiry)", err, store.ErrNotFound)
	_, err = consume(expired.StateHash, baseTime)
	wantErr(t, "OAuthStateConsume(expired, then earlier clock)", err, store.ErrNotFound)

	// Consuming sweeps other expired states and keeps live ones.
	stale := newOAuthState(ws.ID, conn.ID)
	stale.ExpiresAt = at(5 * time.Minute)
	live := newOAuthState(ws.ID, conn.ID)
	live.ExpiresAt = at(20 * time.Minute)
	mustInsert(stale)
	mustInsert(live)
	_, err = consume("no such state", at(6*time.Minute))
	wantErr(t, "OAuthStateConsume(missing, sweeping)", err, store.ErrNotFound)
	_, err = consume(stale.StateHash, baseTime)
	wantErr(t, "OAuthStateConsume(swept)", err, store.ErrNotFound)
	if _, err := consume(live.StateHash, at(6*time.Minute)); err != nil {
		t.Errorf("OAuthStateConsume(live after sweep): %v", err)
	}

	// Deleting the connection deletes its pending authorizations.
	pending := newOAuthState(ws.ID, conn.ID)
	mustInsert(pending)
	if err := s.ConnectionDelete(ctx, ws.ID, conn.ID); err != nil {
		t.Fatalf("ConnectionDelete: %v", err)
	}
	_, err = consume(pending.StateHash, baseTime)
	wantErr(t, "OAuthStateConsume(connection deleted)", err, store.ErrNotFound)
}

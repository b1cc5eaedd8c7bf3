package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

// RunTxWriter is a store's transactional run writes (RunInsertTx and
// RunUpdateTx) bound to one open transaction.
type RunTxWriter interface {
	Insert(ctx context.Context, r *store.Run) error
	Update(ctx context.Context, r *store.Run) error
}

// RunTx checks a store's transactional run writes. inTx must begin a
// transaction of s, call fn with a writer bound to it, and commit when fn
// returns nil or roll back otherwise, returning fn's error.
func RunTx(t *testing.T, s store.Store, inTx func(ctx context.Context, fn func(w RunTxWriter) error) error) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")

	queued := newRun(ws.ID)
	queued.Status, queued.Outcome, queued.StatusCode = store.RunStatusQueued, "", 0
	queued.Response, queued.Result, queued.Timings, queued.Attempts, queued.FinishedAt = nil, nil, nil, nil, nil
	if err := inTx(ctx, func(w RunTxWriter) error { return w.Insert(ctx, queued) }); err != nil {
		t.Fatalf("RunInsertTx: %v", err)
	}
	got, err := s.RunGet(ctx, ws.ID, queued.ID)
	if err != nil {
		t.Fatalf("RunGet after RunInsertTx: %v", err)
	}
	if diff := cmp.Diff(queued, got); diff != "" {
		t.Errorf("RunGet after RunInsertTx mismatch (-want +got):\n%s", diff)
	}

	// A rolled-back insert leaves nothing; a duplicate ID is a conflict.
	errAbort := errors.New("abort")
	rolledBack := newRun(ws.ID)
	err = inTx(ctx, func(w RunTxWriter) error {
		if err := w.Insert(ctx, rolledBack); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("inTx(insert, abort): got %v, want %v", err, errAbort)
	}
	_, err = s.RunGet(ctx, ws.ID, rolledBack.ID)
	wantErr(t, "RunGet(rolled back insert)", err, store.ErrNotFound)
	dup := newRun(other.ID)
	dup.ID = queued.ID
	wantErr(t, "RunInsertTx(same ID)", inTx(ctx, func(w RunTxWriter) error { return w.Insert(ctx, dup) }), store.ErrConflict)

	// The update replaces every mutable column; the creation time stays.
	finished := newRun(ws.ID)
	finished.ID = queued.ID
	finished.Status, finished.Outcome, finished.StatusCode = store.RunStatusFailed, "upstream_error", 502
	finished.Error = "bad gateway"
	finished.Result = json.RawMessage(`{"error":"bad gateway"}`)
	finished.CreatedAt = at(time.Hour) // ignored
	finished.FinishedAt = ptr(at(time.Second))
	if err := inTx(ctx, func(w RunTxWriter) error { return w.Update(ctx, finished) }); err != nil {
		t.Fatalf("RunUpdateTx: %v", err)
	}
	got, err = s.RunGet(ctx, ws.ID, queued.ID)
	if err != nil {
		t.Fatalf("RunGet after RunUpdateTx: %v", err)
	}
	want := *finished
	want.CreatedAt = queued.CreatedAt
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("RunGet after RunUpdateTx mismatch (-want +got):\n%s", diff)
	}

	missing := newRun(ws.ID)
	wantErr(t, "RunUpdateTx(missing)", inTx(ctx, func(w RunTxWriter) error { return w.Update(ctx, missing) }), store.ErrNotFound)
	foreign := *finished
	foreign.WorkspaceID = other.ID
	foreign.Error = "hijacked"
	wantErr(t, "RunUpdateTx(other workspace)", inTx(ctx, func(w RunTxWriter) error { return w.Update(ctx, &foreign) }), store.ErrNotFound)
	got, err = s.RunGet(ctx, ws.ID, queued.ID)
	if err != nil {
		t.Fatalf("RunGet after refused updates: %v", err)
	}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("RunGet after refused updates mismatch (-want +got):\n%s", diff)
	}
}

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

// RunTxWriter is a store's transactional run writes (RunInsertManyTx and
// RunUpdateUnfinishedManyTx) bound to one open transaction.
type RunTxWriter interface {
	Insert(ctx context.Context, runs ...*store.Run) error
	Update(ctx context.Context, runs ...*store.Run) ([]bool, error)
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
	second := *queued
	second.ID = store.NewID()
	if err := inTx(ctx, func(w RunTxWriter) error { return w.Insert(ctx, queued, &second) }); err != nil {
		t.Fatalf("RunInsertManyTx: %v", err)
	}
	for _, r := range []*store.Run{queued, &second} {
		got, err := s.RunGet(ctx, ws.ID, r.ID)
		if err != nil {
			t.Fatalf("RunGet after RunInsertManyTx: %v", err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("RunGet after RunInsertManyTx mismatch (-want +got):\n%s", diff)
		}
	}

	// A rolled-back insert leaves nothing; a duplicate ID is a conflict,
	// and nothing of its batch is written.
	errAbort := errors.New("abort")
	rolledBack := newRun(ws.ID)
	err := inTx(ctx, func(w RunTxWriter) error {
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
	fresh := newRun(other.ID)
	wantErr(t, "RunInsertManyTx(same ID)", inTx(ctx, func(w RunTxWriter) error { return w.Insert(ctx, fresh, dup) }), store.ErrConflict)
	_, err = s.RunGet(ctx, other.ID, fresh.ID)
	wantErr(t, "RunGet(the batch of a duplicate)", err, store.ErrNotFound)

	// The update replaces every mutable column of a run not yet finished;
	// the creation time stays. A finished run, a missing one and another
	// workspace's are left alone, and said so.
	running := second
	running.Status, running.Attempts = store.RunStatusRunning, json.RawMessage(`[{"attempt":1}]`)
	finished := newRun(ws.ID)
	finished.ID = queued.ID
	finished.Status, finished.Outcome, finished.StatusCode = store.RunStatusFailed, "upstream_error", 502
	finished.Error = "bad gateway"
	finished.Result = json.RawMessage(`{"error":"bad gateway"}`)
	finished.CreatedAt = at(time.Hour) // ignored
	finished.FinishedAt = ptr(at(time.Second))
	var written []bool
	if err := inTx(ctx, func(w RunTxWriter) (err error) { written, err = w.Update(ctx, finished, &running); return err }); err != nil {
		t.Fatalf("RunUpdateUnfinishedManyTx: %v", err)
	}
	if diff := cmp.Diff([]bool{true, true}, written); diff != "" {
		t.Errorf("RunUpdateUnfinishedManyTx written mismatch (-want +got):\n%s", diff)
	}
	want := *finished
	want.CreatedAt = queued.CreatedAt
	for _, r := range []*store.Run{&want, &running} {
		got, err := s.RunGet(ctx, ws.ID, r.ID)
		if err != nil {
			t.Fatalf("RunGet after RunUpdateUnfinishedManyTx: %v", err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("RunGet after RunUpdateUnfinishedManyTx mismatch (-want +got):\n%s", diff)
		}
	}

	again := *finished
	again.Error = "overwritten"
	missing := newRun(ws.ID)
	foreign := running
	foreign.WorkspaceID = other.ID
	foreign.Error = "hijacked"
	if err := inTx(ctx, func(w RunTxWriter) (err error) { written, err = w.Update(ctx, &again, missing, &foreign); return err }); err != nil {
		t.Fatalf("RunUpdateUnfinishedManyTx(refused): %v", err)
	}
	if diff := cmp.Diff([]bool{false, false, false}, written); diff != "" {
		t.Errorf("RunUpdateUnfinishedManyTx(refused) written mismatch (-want +got):\n%s", diff)
	}
	for _, r := range []*store.Run{&want, &running} {
		got, err := s.RunGet(ctx, ws.ID, r.ID)
		if err != nil {
			t.Fatalf("RunGet after refused updates: %v", err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("RunGet after refused updates mismatch (-want +got):\n%s", diff)
		}
	}
}

package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

func testIdempotencyClaims(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	claim := func(workspaceID, agentID, key, runID string, created time.Duration) *store.IdempotencyClaim {
		return &store.IdempotencyClaim{WorkspaceID: workspaceID, AgentID: agentID, Key: key, ToolName: "book",
			RunID: runID, CreatedAt: at(created), LeaseUntil: at(created + time.Minute)}
	}
	since := at(-24 * time.Hour)
	mustClaim := func(c *store.IdempotencyClaim, now time.Time, wantWon bool, wantRun string) {
		t.Helper()
		held, won, err := s.IdempotencyClaim(ctx, c, since, now)
		if err != nil {
			t.Fatalf("IdempotencyClaim(%s/%s/%s, run %s): %v", c.WorkspaceID, c.AgentID, c.Key, c.RunID, err)
		}
		if won != wantWon || held.RunID != wantRun {
			t.Fatalf("IdempotencyClaim(%s, run %s) = won %v held by %s; want won %v held by %s", c.Key, c.RunID, won, held.RunID, wantWon, wantRun)
		}
	}

	first := claim(ws.ID, "agent-1", "k", "run-1", 0)
	mustClaim(first, at(0), true, "run-1")
	// The key is held: the second call learns whose it is.
	held, _, err := s.IdempotencyClaim(ctx, claim(ws.ID, "agent-1", "k", "run-2", time.Second), since, at(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, held); diff != "" {
		t.Errorf("held claim (-want +got):\n%s", diff)
	}
	// Other agents, keys and workspaces are independent.
	mustClaim(claim(ws.ID, "agent-2", "k", "run-3", 0), at(0), true, "run-3")
	mustClaim(claim(ws.ID, "agent-1", "k2", "run-4", 0), at(0), true, "run-4")
	mustClaim(claim(other.ID, "agent-1", "k", "run-5", 0), at(0), true, "run-5")

	// Releasing needs the holding run.
	if err := s.IdempotencyRelease(ctx, ws.ID, "agent-1", "k", "run-2"); err != nil {
		t.Fatal(err)
	}
	mustClaim(claim(ws.ID, "agent-1", "k", "run-6", 2*time.Second), at(2*time.Second), false, "run-1")
	if err := s.IdempotencyRelease(ctx, ws.ID, "agent-1", "k", "run-1"); err != nil {
		t.Fatal(err)
	}
	mustClaim(claim(ws.ID, "agent-1", "k", "run-7", 3*time.Second), at(3*time.Second), true, "run-7")

	// A lease that ended without its run stored frees the key; one whose
	// run is stored does not.
	mustClaim(claim(ws.ID, "agent-1", "k", "run-8", time.Hour), at(time.Hour), true, "run-8")
	stored := newRun(ws.ID)
	stored.ID = store.NewID()
	mustInsertRuns(t, s, stored)
	mustClaim(claim(ws.ID, "agent-1", "leased", stored.ID, 0), at(0), true, stored.ID)
	mustClaim(claim(ws.ID, "agent-1", "leased", "run-9", time.Hour), at(time.Hour), false, stored.ID)

	// Outside the window the key is free whatever its run.
	lateSince := at(30 * time.Minute)
	held, won, err := s.IdempotencyClaim(ctx, claim(ws.ID, "agent-1", "leased", "run-10", time.Hour), lateSince, at(time.Hour))
	if err != nil || !won || held.RunID != "run-10" {
		t.Errorf("claim outside the window: won %v held %+v err %v", won, held, err)
	}

	// A workspace that does not exist holds nothing.
	if _, _, err := s.IdempotencyClaim(ctx, claim(store.NewID(), "agent-1", "k", "run-11", 0), since, at(0)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claim in a missing workspace: %v, want ErrNotFound", err)
	}

	n, err := s.GuardsDeleteExpired(ctx, at(2*time.Hour), at(0))
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("GuardsDeleteExpired removed %d claims, want 5", n)
	}
}

func testIdempotencyClaimConcurrent(t *testing.T, s store.Store) {
	ws := mustInsertWorkspace(t, s, "acme")
	const callers = 24
	var wg sync.WaitGroup
	wins := make(chan string, callers)
	errs := make(chan error, callers)
	for i := range callers {
		wg.Go(func() {
			c := &store.IdempotencyClaim{WorkspaceID: ws.ID, AgentID: "a", Key: "same", ToolName: "book",
				RunID: fmt.Sprintf("run-%d", i), CreatedAt: at(0), LeaseUntil: at(time.Minute)}
			held, won, err := s.IdempotencyClaim(t.Context(), c, at(-time.Hour), at(0))
			if err != nil {
				errs <- err
				return
			}
			if won {
				wins <- held.RunID
			}
		})
	}
	wg.Wait()
	close(wins)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(wins); n != 1 {
		t.Errorf("%d of %d concurrent claims of one key won, want exactly 1", n, callers)
	}
}

func testReplayGuard(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := func(key string, now time.Duration, want bool) {
		t.Helper()
		got, err := s.ReplayFirst(ctx, key, at(now), at(now+10*time.Minute))
		if err != nil {
			t.Fatalf("ReplayFirst(%s): %v", key, err)
		}
		if got != want {
			t.Errorf("ReplayFirst(%s) at +%s = %v, want %v", key, now, got, want)
		}
	}
	first("sig-a", 0, true)
	first("sig-a", time.Minute, false)
	first("sig-b", time.Minute, true)
	first("sig-a", 10*time.Minute, true) // its record expired
	first("sig-a", 11*time.Minute, false)
	n, err := s.GuardsDeleteExpired(ctx, at(0), at(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("GuardsDeleteExpired removed %d replay records, want 2", n)
	}
	first("sig-b", time.Hour, true)
}

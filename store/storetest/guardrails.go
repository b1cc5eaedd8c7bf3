package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/store"
)

func testConfirmations(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	c := &store.Confirmation{TokenHash: "h1", WorkspaceID: ws.ID, AgentID: "agent-1", ToolID: "tool-1", ToolVersion: 2,
		ConversationID: "conv-1", ArgsHash: "args-1", CreatedAt: at(0), ExpiresAt: at(5 * time.Minute)}
	if err := s.ConfirmationInsert(ctx, c); err != nil {
		t.Fatalf("ConfirmationInsert: %v", err)
	}
	consume := func(name string, mutate func(c *store.Confirmation), now time.Duration, want bool) {
		t.Helper()
		probe := *c
		mutate(&probe)
		got, err := s.ConfirmationConsume(ctx, &probe, at(now))
		if err != nil {
			t.Fatalf("ConfirmationConsume (%s): %v", name, err)
		}
		if got != want {
			t.Errorf("ConfirmationConsume (%s) = %v, want %v", name, got, want)
		}
	}
	// Every binding must match: nothing is consumed by a mismatch.
	for name, mutate := range map[string]func(c *store.Confirmation){
		"other token":        func(c *store.Confirmation) { c.TokenHash = "h2" },
		"other workspace":    func(c *store.Confirmation) { c.WorkspaceID = other.ID },
		"other agent":        func(c *store.Confirmation) { c.AgentID = "agent-2" },
		"other tool":         func(c *store.Confirmation) { c.ToolID = "tool-2" },
		"other version":      func(c *store.Confirmation) { c.ToolVersion = 3 },
		"other conversation": func(c *store.Confirmation) { c.ConversationID = "conv-2" },
		"other arguments":    func(c *store.Confirmation) { c.ArgsHash = "args-2" },
	} {
		consume(name, mutate, time.Minute, false)
	}
	consume("expired", func(*store.Confirmation) {}, 5*time.Minute, false)
	consume("matching", func(*store.Confirmation) {}, time.Minute, true)
	consume("used twice", func(*store.Confirmation) {}, time.Minute, false)

	missing := *c
	missing.TokenHash, missing.WorkspaceID = "h3", store.NewID()
	wantErr(t, "ConfirmationInsert in a missing workspace", s.ConfirmationInsert(ctx, &missing), store.ErrNotFound)
}

// approvalRun returns an unsaved run awaiting approval and its approval.
func approvalRun(workspaceID string, requested time.Duration) (*store.Run, *store.Approval) {
	r := newRun(workspaceID)
	r.ID = store.NewIDAt(at(requested))
	r.CreatedAt = at(requested)
	r.Status, r.Outcome, r.StatusCode, r.FinishedAt = store.RunStatusAwaitingApproval, "", 0, nil
	r.Response, r.Result, r.Timings, r.Truncated, r.CacheHit = nil, nil, nil, false, false
	a := &store.Approval{WorkspaceID: workspaceID, RunID: r.ID, AgentID: r.AgentID, ToolName: r.ToolName,
		Status: store.ApprovalPending, CallbackURL: "https://hooks.example.com/cb", TimeoutMS: 10000,
		RequestedAt: at(requested), ExpiresAt: at(requested + 15*time.Minute)}
	return r, a
}

func testApprovals(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	var approvals []*store.Approval
	for i := range 3 {
		run, a := approvalRun(ws.ID, time.Duration(i)*time.Minute)
		if err := s.ApprovalRequest(ctx, run, a); err != nil {
			t.Fatalf("ApprovalRequest: %v", err)
		}
		approvals = append(approvals, a)
	}
	otherRun, otherApproval := approvalRun(other.ID, 0)
	if err := s.ApprovalRequest(ctx, otherRun, otherApproval); err != nil {
		t.Fatalf("ApprovalRequest (other workspace): %v", err)
	}
	got, err := s.ApprovalGet(ctx, ws.ID, approvals[0].RunID)
	if err != nil {
		t.Fatalf("ApprovalGet: %v", err)
	}
	if diff := cmp.Diff(approvals[0], got); diff != "" {
		t.Errorf("ApprovalGet mismatch (-want +got):\n%s", diff)
	}
	_, err = s.ApprovalGet(ctx, other.ID, approvals[0].RunID)
	wantErr(t, "ApprovalGet from another workspace", err, store.ErrNotFound)
	run, err := s.RunGet(ctx, ws.ID, approvals[0].RunID)
	if err != nil || run.Status != store.RunStatusAwaitingApproval {
		t.Fatalf("the run of an approval request: %+v, %v", run, err)
	}

	// Approved: the run is queued; rejected: it ended.
	decided, err := s.ApprovalDecide(ctx, &store.ApprovalDecision{WorkspaceID: ws.ID, RunID: approvals[0].RunID,
		Status: store.ApprovalApproved, DecidedBy: "key-1", At: at(time.Hour), RunStatus: store.RunStatusQueued})
	if err != nil {
		t.Fatalf("ApprovalDecide (approve): %v", err)
	}
	want := *approvals[0]
	want.Status, want.DecidedBy, want.DecidedAt = store.ApprovalApproved, "key-1", ptr(at(time.Hour))
	if diff := cmp.Diff(&want, decided); diff != "" {
		t.Errorf("decided approval mismatch (-want +got):\n%s", diff)
	}
	if run, _ := s.RunGet(ctx, ws.ID, want.RunID); run.Status != store.RunStatusQueued || run.FinishedAt != nil {
		t.Errorf("approved run: status %s, finished %v; want queued, unfinished", run.Status, run.FinishedAt)
	}
	_, err = s.ApprovalDecide(ctx, &store.ApprovalDecision{WorkspaceID: ws.ID, RunID: approvals[0].RunID,
		Status: store.ApprovalRejected, At: at(time.Hour), RunStatus: store.RunStatusFailed, RunOutcome: "rejected"})
	wantErr(t, "ApprovalDecide of a decided approval", err, store.ErrConflict)
	_, err = s.ApprovalDecide(ctx, &store.ApprovalDecision{WorkspaceID: other.ID, RunID: approvals[1].RunID,
		Status: store.ApprovalRejected, At: at(time.Hour), RunStatus: store.RunStatusFailed, RunOutcome: "rejected"})
	wantErr(t, "ApprovalDecide from another workspace", err, store.ErrNotFound)
	if _, err := s.ApprovalDecide(ctx, &store.ApprovalDecision{WorkspaceID: ws.ID, RunID: approvals[1].RunID,
		Status: store.ApprovalRejected, DecidedBy: "key-2", Reason: "not today", At: at(time.Hour),
		RunStatus: store.RunStatusFailed, RunOutcome: "rejected", RunError: "rejected: not today"}); err != nil {
		t.Fatalf("ApprovalDecide (reject): %v", err)
	}
	run, _ = s.RunGet(ctx, ws.ID, approvals[1].RunID)
	if run.Status != store.RunStatusFailed || run.Outcome != "rejected" || run.Error != "rejected: not today" ||
		run.FinishedAt == nil || !run.FinishedAt.Equal(at(time.Hour)) {
		t.Errorf("rejected run: %s/%s %q finished %v", run.Status, run.Outcome, run.Error, run.FinishedAt)
	}

	pending, err := s.ApprovalList(ctx, ws.ID, store.ApprovalPending, store.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	runID := func(a *store.Approval) string { return a.RunID }
	if diff := cmp.Diff([]string{approvals[2].RunID}, ids(pending, runID)); diff != "" {
		t.Errorf("pending approvals (-want +got):\n%s", diff)
	}
	all, err := s.ApprovalList(ctx, ws.ID, "", store.ListParams{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{approvals[0].RunID, approvals[1].RunID}, ids(all, runID)); diff != "" {
		t.Errorf("first page of approvals (-want +got):\n%s", diff)
	}
	all, err = s.ApprovalList(ctx, ws.ID, "", store.ListParams{Limit: 2, Cursor: approvals[1].RunID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{approvals[2].RunID}, ids(all, runID)); diff != "" {
		t.Errorf("second page of approvals (-want +got):\n%s", diff)
	}

	// Expired: pending ones past their time, in every workspace.
	expired, err := s.ApprovalListExpired(ctx, at(17*time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{otherApproval.RunID, approvals[2].RunID}, ids(expired, runID)); diff != "" {
		t.Errorf("expired approvals at +17m (-want +got):\n%s", diff)
	}
	if expired, _ := s.ApprovalListExpired(ctx, at(10*time.Minute), 10); len(expired) != 0 {
		t.Errorf("expired approvals at +10m: %d, want none", len(expired))
	}
}

func testRateTake(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	perMinute := store.RateBucket{Key: "user:u1", Interval: 12 * time.Second, Burst: 5}
	take := func(workspaceID string, now time.Duration, want time.Duration, buckets ...store.RateBucket) {
		t.Helper()
		got, err := s.RateTake(ctx, workspaceID, buckets, at(now))
		if err != nil {
			t.Fatalf("RateTake: %v", err)
		}
		if got != want {
			t.Errorf("RateTake at +%s = wait %s, want %s", now, got, want)
		}
	}
	// 5/m: five at once, then one every 12 s.
	for range 5 {
		take(ws.ID, 0, 0, perMinute)
	}
	take(ws.ID, 0, 12*time.Second, perMinute)
	take(ws.ID, 3*time.Second, 9*time.Second, perMinute)
	take(other.ID, 0, 0, perMinute) // workspaces are independent
	take(ws.ID, 12*time.Second, 0, perMinute)
	take(ws.ID, 12*time.Second, 12*time.Second, perMinute)

	// Several buckets: all or none.
	roomy := store.RateBucket{Key: "tool:t1", Interval: time.Second, Burst: 2}
	take(ws.ID, 12*time.Second, 12*time.Second, roomy, perMinute)
	take(ws.ID, 12*time.Second, 0, roomy)
	take(ws.ID, 12*time.Second, 0, roomy) // the refused call took nothing from it
	take(ws.ID, 12*time.Second, time.Second, roomy)
}

func testRateTakeConcurrent(t *testing.T, s store.Store) {
	ws := mustInsertWorkspace(t, s, "acme")
	const callers = 50
	bucket := store.RateBucket{Key: "user:u1", Interval: 12 * time.Second, Burst: 5}
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			wait, err := s.RateTake(t.Context(), ws.ID, []store.RateBucket{bucket}, at(0))
			if err != nil {
				t.Error(err)
				return
			}
			if wait == 0 {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := admitted.Load(); n != 5 {
		t.Errorf("%d of %d concurrent calls admitted by a burst of 5, want exactly 5", n, callers)
	}
}

func testSlots(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	acquire := func(holder string, now time.Duration, want bool) store.SlotLease {
		t.Helper()
		l, ok, err := s.SlotAcquire(ctx, ws.ID, "conn:c1", 2, holder, at(now), at(now+time.Minute))
		if err != nil {
			t.Fatalf("SlotAcquire(%s): %v", holder, err)
		}
		if ok != want {
			t.Fatalf("SlotAcquire(%s) at +%s = %v, want %v", holder, now, ok, want)
		}
		return l
	}
	a := acquire("run-a", 0, true)
	b := acquire("run-b", 0, true)
	if a.Slot == b.Slot {
		t.Errorf("two holders got slot %d", a.Slot)
	}
	acquire("run-c", 0, false)
	// Another holder's release frees nothing.
	if err := s.SlotRelease(ctx, store.SlotLease{WorkspaceID: ws.ID, Key: "conn:c1", Slot: a.Slot, Holder: "run-x"}); err != nil {
		t.Fatal(err)
	}
	acquire("run-c", 0, false)
	if err := s.SlotRelease(ctx, a); err != nil {
		t.Fatal(err)
	}
	c := acquire("run-c", time.Second, true)
	if c.Slot != a.Slot {
		t.Errorf("run-c got slot %d, want the freed %d", c.Slot, a.Slot)
	}
	// A lease that ended (its holder's replica died) frees its slot.
	acquire("run-d", 30*time.Second, false)
	acquire("run-d", time.Minute, true)
}

func testSlotsConcurrent(t *testing.T, s store.Store) {
	ws := mustInsertWorkspace(t, s, "acme")
	const callers, limit = 24, 3
	var won atomic.Int32
	var wg sync.WaitGroup
	slots := make(chan int, callers)
	for i := range callers {
		wg.Go(func() {
			l, ok, err := s.SlotAcquire(t.Context(), ws.ID, "k", limit, fmt.Sprintf("run-%d", i), at(0), at(time.Minute))
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				won.Add(1)
				slots <- l.Slot
			}
		})
	}
	wg.Wait()
	close(slots)
	if n := won.Load(); n != limit {
		t.Errorf("%d of %d concurrent acquirers got one of %d slots, want exactly %d", n, callers, limit, limit)
	}
	seen := map[int]bool{}
	for slot := range slots {
		if seen[slot] || slot < 0 || slot >= limit {
			t.Errorf("slot %d handed out twice or out of range", slot)
		}
		seen[slot] = true
	}
}

func testCache(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	other := mustInsertWorkspace(t, s, "globex")
	put := func(workspaceID, key, value string, expires time.Duration) {
		t.Helper()
		if err := s.CachePut(ctx, &store.CacheEntry{WorkspaceID: workspaceID, Key: key, Value: []byte(value),
			CreatedAt: at(0), ExpiresAt: at(expires)}); err != nil {
			t.Fatalf("CachePut(%s): %v", key, err)
		}
	}
	get := func(workspaceID, key string, now time.Duration, want string) {
		t.Helper()
		got, err := s.CacheGet(ctx, workspaceID, key, at(now))
		if want == "" {
			wantErr(t, "CacheGet("+key+")", err, store.ErrNotFound)
			return
		}
		if err != nil || !bytes.Equal(got, []byte(want)) {
			t.Errorf("CacheGet(%s) at +%s = %q, %v; want %q", key, now, got, err, want)
		}
	}
	put(ws.ID, "k1", `{"a":1}`, time.Minute)
	get(ws.ID, "k1", 0, `{"a":1}`)
	get(ws.ID, "k1", time.Minute, "") // expired
	get(other.ID, "k1", 0, "")
	put(ws.ID, "k1", `{"a":2}`, 2*time.Minute) // replaced
	get(ws.ID, "k1", time.Minute, `{"a":2}`)
	err := s.CachePut(ctx, &store.CacheEntry{WorkspaceID: store.NewID(), Key: "k", Value: []byte("x"), CreatedAt: at(0), ExpiresAt: at(time.Minute)})
	wantErr(t, "CachePut in a missing workspace", err, store.ErrNotFound)
}

func testWorkspaceSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	got, err := s.WorkspaceSettingsGet(ctx, ws.ID)
	if err != nil {
		t.Fatalf("WorkspaceSettingsGet before any: %v", err)
	}
	if diff := cmp.Diff(&store.WorkspaceSettings{WorkspaceID: ws.ID}, got); diff != "" {
		t.Errorf("settings before any (-want +got):\n%s", diff)
	}
	for _, url := range []string{"https://hooks.example.com/approvals", ""} {
		want := &store.WorkspaceSettings{WorkspaceID: ws.ID, ApprovalWebhookURL: url, UpdatedAt: at(time.Minute)}
		if err := s.WorkspaceSettingsPut(ctx, want); err != nil {
			t.Fatalf("WorkspaceSettingsPut: %v", err)
		}
		got, err := s.WorkspaceSettingsGet(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("settings (-want +got):\n%s", diff)
		}
	}
	_, err = s.WorkspaceSettingsGet(ctx, store.NewID())
	wantErr(t, "WorkspaceSettingsGet of a missing workspace", err, store.ErrNotFound)
	err = s.WorkspaceSettingsPut(ctx, &store.WorkspaceSettings{WorkspaceID: store.NewID(), UpdatedAt: at(0)})
	wantErr(t, "WorkspaceSettingsPut of a missing workspace", err, store.ErrNotFound)
}

func testGuardrailsSweep(t *testing.T, s store.Store) {
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")
	for i, expires := range []time.Duration{time.Minute, time.Hour} {
		if err := s.ConfirmationInsert(ctx, &store.Confirmation{TokenHash: fmt.Sprint("h", i), WorkspaceID: ws.ID,
			CreatedAt: at(0), ExpiresAt: at(expires)}); err != nil {
			t.Fatal(err)
		}
	}
	// Cache: one expired, and three of 4 bytes, under a bound of 8 bytes:
	// the one that expires first goes.
	for key, expires := range map[string]time.Duration{"gone": time.Minute, "c1": 2 * time.Hour, "c2": 3 * time.Hour, "c3": time.Hour} {
		if err := s.CachePut(ctx, &store.CacheEntry{WorkspaceID: ws.ID, Key: key, Value: []byte("1234"),
			CreatedAt: at(0), ExpiresAt: at(expires)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.SlotAcquire(ctx, ws.ID, "k", 1, "run-a", at(0), at(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RateTake(ctx, ws.ID, []store.RateBucket{{Key: "r", Interval: time.Second, Burst: 1}}, at(0)); err != nil {
		t.Fatal(err)
	}
	// A decided approval whose run was deleted goes; a pending one stays.
	decided, a := approvalRun(ws.ID, 0)
	if err := s.ApprovalRequest(ctx, decided, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApprovalDecide(ctx, &store.ApprovalDecision{WorkspaceID: ws.ID, RunID: a.RunID, Status: store.ApprovalExpired,
		At: at(time.Minute), RunStatus: store.RunStatusFailed, RunOutcome: "approval_expired"}); err != nil {
		t.Fatal(err)
	}
	pendingRun, pending := approvalRun(ws.ID, time.Second)
	if err := s.ApprovalRequest(ctx, pendingRun, pending); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunDeleteBefore(ctx, at(time.Hour)); err != nil {
		t.Fatal(err)
	}

	n, err := s.GuardrailsSweep(ctx, store.GuardrailSweep{Now: at(10 * time.Minute), CacheMaxBytes: 8, DecidedBefore: at(5 * time.Minute)})
	if err != nil {
		t.Fatalf("GuardrailsSweep: %v", err)
	}
	// 1 confirmation, 1 expired entry, 1 entry over the bound, 1 slot,
	// 1 rate state, 1 approval.
	if n != 6 {
		t.Errorf("GuardrailsSweep removed %d rows, want 6", n)
	}
	for key, want := range map[string]bool{"c1": true, "c2": true, "c3": false} {
		_, err := s.CacheGet(ctx, ws.ID, key, at(10*time.Minute))
		if got := err == nil; got != want {
			t.Errorf("cache entry %s kept: %v, want %v (%v)", key, got, want, err)
		}
	}
	if _, err := s.ApprovalGet(ctx, ws.ID, a.RunID); err == nil {
		t.Error("the decided approval of a deleted run was kept")
	}
	if _, err := s.ApprovalGet(ctx, ws.ID, pending.RunID); err != nil {
		t.Errorf("the pending approval went: %v", err)
	}
	if _, ok, _ := s.SlotAcquire(ctx, ws.ID, "k", 1, "run-b", at(10*time.Minute), at(11*time.Minute)); !ok {
		t.Error("the expired slot was not freed")
	}
}

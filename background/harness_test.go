package background_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/toolgate/toolgate/background"
	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// waitFor bounds every wait on a signal.
const waitFor = 30 * time.Second

// harness is what a Queue needs, on a real store, with loopback upstreams
// allowed.
type harness struct {
	store       store.Store
	box         *secrets.Box
	invoker     *invoke.Invoker
	client      *egress.Client
	workspaceID string
}

func newHarness(t *testing.T, st store.Store) *harness {
	t.Helper()
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := tenant.Create(t.Context(), st, box, "default")
	if err != nil {
		t.Fatal(err)
	}
	rec := tools.NewRecorder(tools.RecorderConfig{Store: st})
	rec.Start()
	t.Cleanup(rec.Stop)
	client := egress.New(egress.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	t.Cleanup(client.CloseIdleConnections)
	// The invoker runs the attempts, as in the gateway; the queue under
	// test is given to it by nobody: runs are submitted directly.
	iv, err := invoke.New(invoke.Config{Store: st, Engine: tools.NewEngine(tools.EngineConfig{Client: client, Recorder: rec}),
		Catalog: tools.NewCatalog(tools.CatalogConfig{Store: st, Box: box})})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{store: st, box: box, invoker: iv, client: client, workspaceID: ws.ID}
}

// config returns a Queue's configuration over the harness.
func (h *harness) config() background.Config {
	return background.Config{Store: h.store, Client: h.client, Box: h.box,
		Workers: 2, BackoffBase: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// startQueue starts a Queue, stopped when the test ends unless the test
// stops it first.
func (h *harness) startQueue(t *testing.T) *background.Queue {
	t.Helper()
	return h.startQueueWith(t, h.config())
}

// startQueueWith starts a Queue with cfg, stopped when the test ends.
func (h *harness) startQueueWith(t *testing.T, cfg background.Config) *background.Queue {
	t.Helper()
	q, err := background.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("background.New: %v", err)
	}
	if err := q.Start(t.Context(), h.invoker); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		_ = q.Stop(ctx) // idempotent; the test may have stopped it
	})
	return q
}

// publish stores and publishes a tool with the given definition.
func (h *harness) publish(t *testing.T, def map[string]any) *store.ToolVersion {
	t.Helper()
	raw, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	tool := &store.Tool{ID: store.NewID(), WorkspaceID: h.workspaceID, Name: def["name"].(string), Definition: raw,
		Status: store.ToolStatusDraft, CreatedAt: now, UpdatedAt: now}
	if err := h.store.ToolInsert(t.Context(), tool); err != nil {
		t.Fatalf("ToolInsert: %v", err)
	}
	v, err := h.store.ToolPublish(t.Context(), h.workspaceID, tool.ID, now)
	if err != nil {
		t.Fatalf("ToolPublish: %v", err)
	}
	return v
}

// submit queues a run of the tool version, as the gateway does after the
// synchronous check.
func (h *harness) submit(t *testing.T, q *background.Queue, v *store.ToolVersion, callbackURL string) string {
	t.Helper()
	return h.submitTimeout(t, q, v, callbackURL, 2*time.Second)
}

// submitTimeout is submit with the tool's timeout, which bounds the job.
func (h *harness) submitTimeout(t *testing.T, q *background.Queue, v *store.ToolVersion, callbackURL string, timeout time.Duration) string {
	t.Helper()
	id := store.NewID()
	createdAt, _ := store.IDTime(id)
	run := &store.Run{ID: id, WorkspaceID: h.workspaceID, ToolID: v.ToolID, ToolName: v.Name, ToolVersion: v.Version,
		AgentID: "agent-1", Status: store.RunStatusQueued, Context: json.RawMessage(`{}`), Arguments: json.RawMessage(`{}`),
		Attempts: json.RawMessage(`[]`), CreatedAt: createdAt}
	if err := q.Submit(t.Context(), run, timeout, callbackURL); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return id
}

// attempts returns the recorded attempts of a run, without their times.
func (h *harness) attempts(t *testing.T, runID string) (string, []tools.Attempt) {
	t.Helper()
	run, err := h.store.RunGet(t.Context(), h.workspaceID, runID)
	if err != nil {
		t.Fatalf("RunGet: %v", err)
	}
	var attempts []tools.Attempt
	if err := json.Unmarshal(run.Attempts, &attempts); err != nil {
		t.Fatalf("decoding attempts %s: %v", run.Attempts, err)
	}
	for i := range attempts {
		if attempts[i].StartedAt.IsZero() {
			t.Errorf("attempt %d has no start time", attempts[i].Attempt)
		}
		attempts[i].StartedAt, attempts[i].DurationMS = time.Time{}, 0
	}
	return run.Status, attempts
}

// await waits for a signal, failing t after waitFor.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("no %s within %s", what, waitFor)
		var zero T
		return zero
	}
}

package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toolgate/toolgate/redact"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// TestRecorderIsolatesBadRuns: a run the database refuses (here: of a
// workspace that does not exist) loses only itself, not its batch; runs
// recorded after Stop are still written.
func TestRecorderIsolatesBadRuns(t *testing.T) {
	ctx := context.Background()
	st := testdb.SQLite(t)
	box, _ := secrets.NewBox(bytes.Repeat([]byte{3}, secrets.KeySize))
	ws, err := tenant.Create(ctx, st, box, "w")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	metrics := tools.NewMetrics(reg)
	rec := tools.NewRecorder(tools.RecorderConfig{Store: st, Metrics: metrics, Flush: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rec.Start()
	now := time.Now().UTC()
	run := func(workspaceID string) *store.Run {
		return &store.Run{ID: store.NewIDAt(now), WorkspaceID: workspaceID, ToolName: "t", Status: store.RunStatusSucceeded, CreatedAt: now}
	}
	good := []*store.Run{run(ws.ID), run(ws.ID), run(ws.ID)}
	rec.Record(good[0])
	rec.Record(run("no-such-workspace"))
	rec.Record(good[1])
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rec.Stop()
	rec.Record(good[2]) // after Stop: written synchronously
	for _, r := range good {
		if _, err := st.RunGet(ctx, ws.ID, r.ID); err != nil {
			t.Errorf("run %s lost: %v", r.ID, err)
		}
	}
	if got := testutil.ToFloat64(metrics.Dropped()); got != 1 {
		t.Errorf("dropped runs = %v, want 1", got)
	}
}

// TestRedactJSONStaysValid: scrubbing a secret that spans JSON syntax keeps
// the stored document valid JSON.
func TestRedactJSONStaysValid(t *testing.T) {
	r := redact.New(`42,"b`)
	for _, doc := range []string{`{"a":42,"b":1}`, `{"k":"x 42,\"b y"}`, `null`} {
		out := tools.RedactJSONForTest(r, json.RawMessage(doc))
		if !json.Valid(out) {
			t.Errorf("redacting %s gave invalid JSON %s", doc, out)
		}
	}
}

package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// benchDefinition is a typical tool: GET with a path argument, a query
// argument, a header from the caller context and a four-field schema (a
// string with a format, an integer with a minimum, an enum and a boolean).
func benchDefinition() *tools.Definition {
	return &tools.Definition{
		Name:        "get_order",
		Description: "Look up an order's status and ETA once the caller gave the order id.",
		Method:      "GET",
		Connection:  "backend",
		Path:        "/orders/{{args.order_id}}",
		Query:       map[string]string{"plan": "{{args.plan}}", "verbose": "{{args.verbose}}"},
		Headers:     map[string]string{"X-Tenant": "{{context.tenant}}"},
		InputSchema: json.RawMessage(`{
			"type": "object",
			"properties": {
				"order_id": {"type": "string", "minLength": 1},
				"email": {"type": "string", "format": "email"},
				"plan": {"enum": ["free", "pro", "team"]},
				"verbose": {"type": "boolean"}
			},
			"required": ["order_id", "email"]
		}`),
		Response: &tools.ResponseConfig{Select: []string{"order.status", "order.eta"}},
	}
}

const benchArgs = `{"order_id": "A-17", "email": "ada@example.com", "plan": "pro", "verbose": true}`

func mustPrepare(b *testing.B) *tools.Prepared {
	b.Helper()
	p, err := tools.Prepare("tool_bench", 1, benchDefinition())
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkValidate4Fields(b *testing.B) {
	p := mustPrepare(b)
	data := []byte(benchArgs)
	b.ReportAllocs()
	for b.Loop() {
		vr, _, err := p.Schema.ValidateJSON(data)
		if err != nil || (vr != nil && !vr.OK()) {
			b.Fatalf("ValidateJSON: %v %v", vr, err)
		}
	}
}

func BenchmarkRenderGet(b *testing.B) {
	p := mustPrepare(b)
	var args map[string]any
	if err := json.Unmarshal([]byte(benchArgs), &args); err != nil {
		b.Fatal(err)
	}
	scope := &tools.Scope{
		Args:    args,
		Context: map[string]any{"tenant": "acme", "user_id": "+255700000001", "channel": "voice"},
		Conn:    map[string]any{},
		Secret:  map[string]string{"token": "tok-123456"},
	}
	const want = "http://127.0.0.1:9/api/orders/A-17?plan=pro&verbose=true"
	b.ReportAllocs()
	for b.Loop() {
		req, err := p.Request.Render("http://127.0.0.1:9/api", scope)
		if err != nil {
			b.Fatal(err)
		}
		if req.URL != want {
			b.Fatalf("URL = %q, want %q", req.URL, want)
		}
	}
}

// BenchmarkEngineRun is one whole call: validate, render, bearer auth, the
// guarded loopback exchange, shaping, and queueing the run on a recorder
// writing to SQLite.
func BenchmarkEngineRun(b *testing.B) {
	payload := []byte(`{"order":{"id":"A-17","status":"shipped","eta":"tomorrow","secret_note":"internal"}}`)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	}))
	defer up.Close()

	st := testdb.SQLite(b)
	box, err := secrets.NewBox(bytes.Repeat([]byte{42}, secrets.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	ws, err := tenant.Create(context.Background(), st, box, "bench")
	if err != nil {
		b.Fatal(err)
	}
	sc := &store.Connection{ID: "conn_bench", WorkspaceID: ws.ID, Name: "backend", BaseURL: up.URL + "/api",
		Auth: json.RawMessage(`{"type": "bearer"}`)}
	if err := tools.SealSecrets(box, sc, map[string]string{"token": "tok-123456"}); err != nil {
		b.Fatal(err)
	}
	conn, err := tools.OpenConnection(box, sc)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := tools.NewRecorder(tools.RecorderConfig{Store: st, Logger: log})
	rec.Start()
	defer rec.Stop()
	client := egress.New(egress.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	defer client.CloseIdleConnections()
	engine := tools.NewEngine(tools.EngineConfig{Client: client, Recorder: rec, Logger: log})
	p := mustPrepare(b)
	args := json.RawMessage(benchArgs)
	ctx := context.Background()

	b.ReportAllocs()
	for b.Loop() {
		res := engine.Run(ctx, &tools.Call{
			WorkspaceID: ws.ID, AgentID: "agent_bench", Tool: p, Conn: conn, Arguments: args,
			Context: map[string]any{"tenant": "acme", "user_id": "+255700000001", "channel": "voice"},
		})
		if res.Outcome != tools.OutcomeSuccess {
			b.Fatalf("outcome %s: %+v", res.Outcome, res.Error)
		}
	}
	b.StopTimer()
	if err := rec.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	// Every run was stored.
	runs, err := st.RunList(ctx, ws.ID, store.RunListParams{ListParams: store.ListParams{Limit: 1}})
	if err != nil || len(runs) != 1 {
		b.Fatalf("runs stored: %d, %v", len(runs), err)
	}
}

package flows_test

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
	"time"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// benchFlow makes one GET when it starts and one per message.
const benchFlow = `{"start": "fetch",
 "states": {
  "wait": {"input": {"save_to": "order_id"}, "transitions": [{"to": "fetch"}]},
  "fetch": {"actions": [{"type": "API_CALL", "integration": "backend", "path": "/orders/{{variables.order_id}}", "save_to": "order"}],
            "transitions": [{"if": "variables.api_ok", "to": "show"}, {"to": "wait"}]},
  "show": {"message": "Your order is {{variables.order.status}}.", "transitions": [{"to": "wait"}]}}}`

// BenchmarkFlowTurnVsToolCall measures, in one run, a plain tool call and a
// flow turn making one API_CALL to the same loopback upstream on SQLite: the
// difference is what a turn adds (loading and saving the session under its
// lock, rendering, conditions).
func BenchmarkFlowTurnVsToolCall(b *testing.B) {
	payload := []byte(`{"status":"shipped","eta":"tomorrow"}`)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	}))
	defer up.Close()

	ctx := context.Background()
	st := testdb.SQLite(b)
	box, err := secrets.NewBox(bytes.Repeat([]byte{42}, secrets.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	ws, err := tenant.Create(ctx, st, box, "bench")
	if err != nil {
		b.Fatal(err)
	}
	agent := &store.Agent{ID: store.NewID(), WorkspaceID: ws.ID, Name: "bot"}
	if err := st.AgentInsert(ctx, agent); err != nil {
		b.Fatal(err)
	}
	sc := &store.Connection{ID: store.NewID(), WorkspaceID: ws.ID, Name: "backend", BaseURL: up.URL + "/api",
		Auth: json.RawMessage(`{"type": "bearer"}`)}
	if err := tools.SealSecrets(box, sc, map[string]string{"token": "tok-123456"}); err != nil {
		b.Fatal(err)
	}
	if err := st.ConnectionInsert(ctx, sc); err != nil {
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

	p, err := tools.Prepare("tool", 1, &tools.Definition{Name: "get_order", Connection: "backend", Path: "/orders/{{args.order_id}}"})
	if err != nil {
		b.Fatal(err)
	}
	toolCall := func(b *testing.B) {
		res := engine.Run(ctx, &tools.Call{WorkspaceID: ws.ID, AgentID: agent.ID, Tool: p, Conn: conn,
			Arguments: json.RawMessage(`{"order_id":"AB1234"}`), Context: map[string]any{"user_id": "+255700000001", "channel": "whatsapp"}})
		if res.Outcome != tools.OutcomeSuccess {
			b.Fatalf("outcome %s: %+v", res.Outcome, res.Error)
		}
	}
	b.Run("tool_call", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			toolCall(b)
		}
	})

	f := &store.Flow{ID: store.NewID(), WorkspaceID: ws.ID, AgentID: agent.ID, Name: "orders-" + store.NewID(),
		Definition: json.RawMessage(benchFlow), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.FlowInsert(ctx, f); err != nil {
		b.Fatal(err)
	}
	if _, err := st.FlowPublish(ctx, ws.ID, agent.ID, f.ID, time.Now()); err != nil {
		b.Fatal(err)
	}
	runner := flows.NewRunner(flows.RunnerConfig{Store: st, Caller: openCaller{engine: engine, conn: conn}, Logger: log})
	start := flows.StartParams{WorkspaceID: ws.ID, AgentID: agent.ID, Flow: f.Name,
		Context:   map[string]any{"user_id": "+255700000001", "channel": "whatsapp"},
		Variables: map[string]any{"order_id": "AB1234"}}

	// A new session whose first turn makes the call: insert, one turn.
	b.Run("flow_start_turn", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, err := runner.Start(ctx, start)
			if err != nil || len(got.Runs) != 1 || got.Messages[0] != "Your order is shipped." {
				b.Fatalf("turn: %+v, %v", got, err)
			}
		}
	})

	// A message to a session: load and save it under its lock, one turn.
	messageTurn := func(b *testing.B, sessionID string) {
		got, err := runner.Send(ctx, ws.ID, agent.ID, sessionID, "AB1234")
		if err != nil || len(got.Runs) != 1 || got.Messages[0] != "Your order is shipped." {
			b.Fatalf("turn: %+v, %v", got, err)
		}
	}
	b.Run("flow_message_turn", func(b *testing.B) {
		turn, err := runner.Start(ctx, start)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			messageTurn(b, turn.SessionID)
		}
	})

	// A tool call and a message turn one after the other, so that both
	// meet the same load on a shared machine: added-ns/op is what a turn
	// adds to the call it makes.
	b.Run("interleaved", func(b *testing.B) {
		turn, err := runner.Start(ctx, start)
		if err != nil {
			b.Fatal(err)
		}
		var inTool, inTurn time.Duration
		for b.Loop() {
			t0 := time.Now()
			toolCall(b)
			t1 := time.Now()
			messageTurn(b, turn.SessionID)
			inTool, inTurn = inTool+t1.Sub(t0), inTurn+time.Since(t1)
		}
		n := float64(b.N)
		b.ReportMetric(float64(inTool.Nanoseconds())/n, "tool-ns/op")
		b.ReportMetric(float64(inTurn.Nanoseconds())/n, "turn-ns/op")
		b.ReportMetric(float64((inTurn-inTool).Nanoseconds())/n, "added-ns/op")
	})
}

// openCaller runs a flow's calls on the engine with an opened connection,
// as invoke does with its catalog's cached one.
type openCaller struct {
	engine *tools.Engine
	conn   *tools.Connection
}

func (c openCaller) Call(ctx context.Context, ac *flows.ActionCall) (*flows.ActionResult, error) {
	res := c.engine.Run(ctx, &tools.Call{WorkspaceID: ac.WorkspaceID, AgentID: ac.AgentID, Tool: ac.Request, Conn: c.conn,
		Arguments: ac.Arguments, Variables: ac.Variables, Context: ac.Context, Headers: ac.Headers})
	return &flows.ActionResult{RunID: res.RunID, Outcome: res.Outcome, StatusCode: res.StatusCode, Body: res.Result}, nil
}

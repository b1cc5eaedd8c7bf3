package tools_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tools"
)

// TestCallVariablesAndHeaders runs a definition prepared with the variables
// root: {{variables.*}} come from Call.Variables, Call.Headers are sent, and
// they cannot replace the gateway's own identification headers.
func TestCallVariablesAndHeaders(t *testing.T) {
	type seen struct {
		path    string
		headers http.Header
		body    string
	}
	got := make(chan seen, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{path: r.URL.EscapedPath(), headers: r.Header.Clone(), body: string(body)}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer up.Close()

	def := &tools.Definition{Name: "flow_action", Method: "POST", URL: up.URL + "/orders/{{variables.order.id}}",
		Body: json.RawMessage(`{"status":"{{variables.order.status}}","count":"{{variables.count}}"}`)}
	_, err := tools.Prepare("t1", 1, def)
	if err == nil {
		t.Fatal("Prepare accepted {{variables.*}} without the root allowed")
	}
	p, err := tools.PrepareWith("t1", 1, def, tools.ParseOptions{AllowRoots: []string{tools.RootVariables}})
	if err != nil {
		t.Fatalf("PrepareWith: %v", err)
	}

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := tools.NewRecorder(tools.RecorderConfig{Store: testdb.SQLite(t), Logger: log})
	rec.Start()
	defer rec.Stop()
	client := egress.New(egress.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	defer client.CloseIdleConnections()
	engine := tools.NewEngine(tools.EngineConfig{Client: client, Recorder: rec, Logger: log})

	res := engine.Run(context.Background(), &tools.Call{
		WorkspaceID: "ws", AgentID: "agent-1", Tool: p,
		Context:   map[string]any{"user_id": "u-1"},
		Variables: map[string]any{"order": map[string]any{"id": "A/17", "status": "delayed"}, "count": int64(3)},
		Headers: http.Header{
			"X-Toolgate-State":  {"fetch_order"},
			"X-Toolgate-Run-Id": {"forged"},
			"X-Bad":             {"a\r\nInjected: yes"},
		},
	})
	if res.Outcome != tools.OutcomeSuccess {
		t.Fatalf("outcome %s: %+v", res.Outcome, res.Error)
	}
	s := <-got
	if s.path != "/orders/A%2F17" {
		t.Errorf("path %q, want /orders/A%%2F17", s.path)
	}
	if diff := cmp.Diff(`{"status":"delayed","count":3}`, s.body); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{
		"X-Toolgate-State":   "fetch_order",
		"X-Toolgate-Run-Id":  res.RunID,
		"X-Toolgate-User-Id": "u-1",
		"X-Bad":              "",
		"Injected":           "",
	} {
		if got := s.headers.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}

	// A variable that is missing is an invalid_arguments outcome naming it;
	// nothing is sent.
	res = engine.Run(context.Background(), &tools.Call{WorkspaceID: "ws", AgentID: "agent-1", Tool: p,
		Variables: map[string]any{"count": 1}})
	if res.Outcome != tools.OutcomeInvalidArguments {
		t.Errorf("missing variable: outcome %s, want %s", res.Outcome, tools.OutcomeInvalidArguments)
	}
	select {
	case s := <-got:
		t.Errorf("a call with a missing variable reached the upstream: %+v", s)
	default:
	}
}

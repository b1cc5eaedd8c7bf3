package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/redact"
)

// TestEngineRenderErrors: a request that cannot be rendered ends the call
// before anything is sent, with the outcome of the party that can fix it.
func TestEngineRenderErrors(t *testing.T) {
	conn := func(secrets map[string]string) *Connection {
		return &Connection{ID: "conn_1", Name: "backend", BaseURL: "https://api.example.com/v1",
			Config: map[string]any{}, Secrets: secrets, redactor: redact.New()}
	}
	tests := []struct {
		name        string
		def         Definition
		conn        *Connection
		args        string
		context     map[string]any
		wantOutcome string
		// wantInMessage must all be in the error message the caller gets.
		wantInMessage []string
		wantHint      string
	}{
		{
			name:          "missing secret is an auth error",
			def:           Definition{Path: "/x", Headers: map[string]string{"X-Key": "{{secret.api_key}}"}},
			conn:          conn(map[string]string{}),
			wantOutcome:   OutcomeAuthError,
			wantInMessage: []string{"secret api_key is not set"},
		},
		{
			name:          "secret a header cannot carry is a config error",
			def:           Definition{Path: "/x", Headers: map[string]string{"X-Key": "{{secret.api_key}}"}},
			conn:          conn(map[string]string{"api_key": "k\r\nX-Evil: 1"}),
			wantOutcome:   OutcomeConfigError,
			wantInMessage: []string{"secret.api_key (in headers.X-Key)", "line break"},
		},
		{
			name:          "missing conn value is a config error",
			def:           Definition{Path: "/{{conn.region}}/x"},
			conn:          conn(nil),
			wantOutcome:   OutcomeConfigError,
			wantInMessage: []string{"conn.region (in path): missing value in the connection's config"},
		},
		{
			name:          "argument a path cannot carry",
			def:           Definition{Path: "/orders/{{args.id}}", InputSchema: json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"}}}`)},
			conn:          conn(nil),
			args:          `{"id": ".."}`,
			wantOutcome:   OutcomeInvalidArguments,
			wantInMessage: []string{`argument id: value ".." is not allowed in a URL path`},
			wantHint:      "ask the caller",
		},
	}
	e := NewEngine(EngineConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := tt.def
			def.Name, def.Description, def.Connection = "get_order", "Look up an order once the caller gave its id.", "backend"
			if def.InputSchema == nil {
				def.InputSchema = json.RawMessage(`{"type":"object"}`)
			}
			p, err := Prepare("tool_1", 1, &def)
			if err != nil {
				t.Fatal(err)
			}
			res, _ := e.Check(context.Background(), &Call{WorkspaceID: "ws_1", AgentID: "agent_1", Tool: p, Conn: tt.conn,
				Arguments: json.RawMessage(tt.args), Context: tt.context})
			if res.Outcome != tt.wantOutcome || res.Error == nil {
				t.Fatalf("outcome = %q, error %+v; want %s", res.Outcome, res.Error, tt.wantOutcome)
			}
			for _, want := range tt.wantInMessage {
				if !strings.Contains(res.Error.Message, want) {
					t.Errorf("message %q does not contain %q", res.Error.Message, want)
				}
			}
			if !strings.Contains(res.Error.Hint, tt.wantHint) {
				t.Errorf("hint %q does not contain %q", res.Error.Hint, tt.wantHint)
			}
		})
	}
}

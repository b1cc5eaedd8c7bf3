package flows

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/tools"
)

func TestInjectedBodyDeclaredFieldsWin(t *testing.T) {
	tests := []struct {
		declared string
		want     string
	}{
		{``, `{"message":"{{args.message}}","variables":"{{args.variables}}"}`},
		{`{}`, `{"message":"{{args.message}}","variables":"{{args.variables}}"}`},
		{`{"priority": "normal", "n": 1}`, `{"message":"{{args.message}}","variables":"{{args.variables}}","priority":"normal","n":1}`},
		{`{"message": "custom", "extra": {"a": [1, 2]}}`, `{"variables":"{{args.variables}}","message":"custom","extra":{"a":[1,2]}}`},
		{`{"variables": {"only": "{{variables.x}}"}, "message": null}`, `{"variables":{"only":"{{variables.x}}"},"message":null}`},
	}
	for _, tt := range tests {
		got := injectedBody(RawObject(tt.declared))
		if string(got) != tt.want {
			t.Errorf("injectedBody(%s) = %s, want %s", tt.declared, got, tt.want)
		}
	}
}

// TestCompiledRequestRendersTheInjectedBody renders a compiled POST with
// the arguments a turn passes: the declared fields win, the message and
// variables keep their JSON types.
func TestCompiledRequestRendersTheInjectedBody(t *testing.T) {
	def, err := Decode([]byte(`{"start": "a", "states": {"a": {"end": true, "actions": [{"type": "API_CALL",
		"url": "https://api.example.com/tickets", "method": "POST",
		"body": {"variables": "overridden", "count": "{{variables.count}}"}}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(VersionInfo{FlowID: "f1", FlowName: "support", Version: 3}, def)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	prepared := p.states["a"].actions[0].request
	if prepared.Name != "flow:support" || prepared.ToolID != "f1" || prepared.Version != 3 {
		t.Errorf("prepared %s (%s) v%d", prepared.Name, prepared.ToolID, prepared.Version)
	}
	args := map[string]any{"message": map[string]any{"type": "text", "text": "hi"}, "variables": map[string]any{"count": int64(2)}}
	req, err := prepared.Request.Render("", &tools.Scope{Args: args, Variables: map[string]any{"count": int64(2)}})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"message": map[string]any{"type": "text", "text": "hi"}, "variables": "overridden", "count": float64(2)}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

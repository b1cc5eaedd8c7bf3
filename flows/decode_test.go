package flows

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/tools"
)

// issueExample is the definition of the issue's "Definition" section.
const issueExample = `{"start": "ask_order",
 "states": {
  "ask_order": {"message": "What is your order number?",
                "input": {"save_to": "order_id", "schema": {"type": "string", "pattern": "^[A-Z0-9]{4,12}$"},
                          "retry_message": "Order numbers look like AB1234. What is yours?"},
                "transitions": [{"to": "fetch_order"}]},
  "fetch_order": {"message": "Looking that up for you...",
                  "actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/orders/{{variables.order_id}}",
                               "method": "GET", "save_to": "order",
                               "success_transition": "show_status", "failure_transition": "order_error"}]},
  "show_status": {"message": "Your order is {{variables.order.status}}, arriving {{variables.order.eta}}.",
                  "transitions": [{"if": "variables.order.status == 'delayed'", "to": "offer_callback"}, {"to": "done"}]},
  "order_error": {"message": "I could not find that order.", "transitions": [{"to": "ask_order"}]},
  "offer_callback": {"message": "Sorry for the delay. We will call you back.", "transitions": [{"to": "done"}]},
  "done": {"message": "Anything else?", "end": true}}}`

func TestDecodeIssueExample(t *testing.T) {
	def, err := Decode([]byte(issueExample))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if def.Start != "ask_order" || len(def.States) != 6 {
		t.Fatalf("got start %q and %d states, want ask_order and 6", def.Start, len(def.States))
	}
	a := def.States["fetch_order"].Actions[0]
	want := &Action{Type: ActionAPICall, Integration: "my_backend", Path: "/orders/{{variables.order_id}}", Method: "GET",
		SaveTo: "order", SuccessTransition: "show_status", FailureTransition: "order_error"}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("fetch_order action mismatch (-want +got):\n%s", diff)
	}
	in := def.States["ask_order"].Input
	if in.SaveTo != "order_id" || string(in.Schema) != `{"type": "string", "pattern": "^[A-Z0-9]{4,12}$"}` {
		t.Errorf("ask_order input: %+v", in)
	}
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []tools.FieldError
	}{
		{
			"unknown top-level field",
			`{"start": "a", "states": {}, "screens": []}`,
			[]tools.FieldError{{Path: "screens", Message: "unknown field; a flow has start, states"}},
		},
		{
			"unknown action field, with its path",
			`{"states": {"fetch": {"actions": [{"type": "API_CALL", "sav_to": "x"}]}}}`,
			[]tools.FieldError{{Path: "states.fetch.actions[0].sav_to", Message: "unknown field; an action has " +
				"type, integration, connection, path, url, method, headers, body, save_to, fire_and_forget, " +
				"success_transition, failure_transition, timeout_ms, on, tool, args"}},
		},
		{
			"field names are matched exactly",
			`{"Start": "a"}`,
			[]tools.FieldError{{Path: "Start", Message: "unknown field; a flow has start, states"}},
		},
		{
			"unknown input and transition fields",
			`{"states": {"a": {"input": {"saveTo": "x"}, "transitions": [{"to": "a", "when": "true"}]}}}`,
			[]tools.FieldError{
				{Path: "states.a.input.saveTo", Message: "unknown field; an input has save_to, schema, retry_message"},
				{Path: "states.a.transitions[0].when", Message: "unknown field; a transition has if, to"},
			},
		},
		{
			"wrong types",
			`{"start": 1, "states": {"a": {"end": "yes", "actions": [{"type": "API_CALL", "timeout_ms": 1.5, "headers": {"X": 2}}]}}}`,
			[]tools.FieldError{
				{Path: "start", Message: "must be a string"},
				{Path: "states.a.end", Message: "must be true or false"},
				{Path: "states.a.actions[0].timeout_ms", Message: "must be an integer"},
				{Path: "states.a.actions[0].headers.X", Message: "must be a string"},
			},
		},
		{
			"body must be an object",
			`{"states": {"a": {"actions": [{"type": "API_CALL", "body": "text"}]}}}`,
			[]tools.FieldError{{Path: "states.a.actions[0].body", Message: "must be a JSON object"}},
		},
		{
			"a state given twice",
			`{"states": {"a": {}, "a": {"end": true}}}`,
			[]tools.FieldError{{Path: "states.a", Message: "is given twice"}},
		},
		{
			"states must be an object",
			`{"states": [{"name": "a"}]}`,
			[]tools.FieldError{{Path: "states", Message: "must be an object"}},
		},
		{
			"not an object",
			`[]`,
			[]tools.FieldError{{Path: "", Message: "must be an object"}},
		},
		{
			"trailing data",
			`{} {}`,
			[]tools.FieldError{{Path: "", Message: "has data after the definition object"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.json))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode: got %v, want a *DecodeError", err)
			}
			if diff := cmp.Diff(tt.want, de.Issues); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeMalformedAndLarge(t *testing.T) {
	_, err := Decode([]byte(`{"start": `))
	var de *DecodeError
	if !errors.As(err, &de) || len(de.Issues) != 1 || !strings.HasPrefix(de.Issues[0].Message, "is not valid JSON") {
		t.Errorf("malformed: got %v", err)
	}
	big := `{"start": "` + strings.Repeat("a", DefinitionMaxBytes) + `"}`
	if _, err := Decode([]byte(big)); !errors.As(err, &de) {
		t.Errorf("larger than DefinitionMaxBytes: got %v, want a *DecodeError", err)
	}
	def, err := Decode(nil)
	if err != nil || def.Start != "" || len(def.States) != 0 {
		t.Errorf("empty input: got %+v, %v; want an empty definition", def, err)
	}
}

func TestDecodeKeepsBodyAsWritten(t *testing.T) {
	def, err := Decode([]byte(`{"states": {"a": {"actions": [{"type": "API_CALL", "body": {"z": 1, "a": "{{variables.x}}"}}]}}}`))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got := string(def.States["a"].Actions[0].Body); got != `{"z": 1, "a": "{{variables.x}}"}` {
		t.Errorf("body = %s, want it as written", got)
	}
	out, err := json.Marshal(def.States["a"].Actions[0])
	if err != nil || !strings.Contains(string(out), `"body":{"z":1,"a":"{{variables.x}}"}`) {
		t.Errorf("re-encoded action: %s, %v", out, err)
	}
}

package invoke

import (
	"encoding/json"
	"testing"

	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

func TestAnswerOf(t *testing.T) {
	tests := []struct {
		name     string
		res      *tools.Result
		kind     AnswerKind
		text     string
		errorful bool
	}{
		{"queued", &tools.Result{Tool: "save_lead", Status: store.RunStatusQueued}, AnswerQueued, prompts.BackgroundAccepted("save_lead"), false},
		{"text result", &tools.Result{Outcome: tools.OutcomeSuccess, OK: true, Result: json.RawMessage(`"It is shipped."`)}, AnswerResult, "It is shipped.", false},
		{"json result", &tools.Result{Outcome: tools.OutcomeSuccess, OK: true, Result: json.RawMessage(`{"status":"shipped"}`)}, AnswerResult, `{"status":"shipped"}`, false},
		{"invalid", &tools.Result{Outcome: tools.OutcomeInvalidArguments, Error: &tools.CallError{Message: "order_id is missing.", Hint: "Ask the caller."}},
			AnswerInvalid, "order_id is missing. Ask the caller.", true},
		{"failed", &tools.Result{Outcome: tools.OutcomeServerError, Error: &tools.CallError{Message: "The service failed."}},
			AnswerFailed, "The service failed.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := AnswerOf(tt.res)
			if a.Kind != tt.kind || a.Text != tt.text || a.IsError() != tt.errorful {
				t.Errorf("AnswerOf = %+v (error %v), want kind %v text %q error %v", a, a.IsError(), tt.kind, tt.text, tt.errorful)
			}
		})
	}
}

func TestValidIdempotencyKey(t *testing.T) {
	long := make([]byte, MaxIdempotencyKeyBytes+1)
	for i := range long {
		long[i] = 'k'
	}
	for _, tt := range []struct {
		key  string
		want bool
	}{
		{"", true}, {"lead-42", true}, {string(long[:MaxIdempotencyKeyBytes]), true},
		{string(long), false}, {"tab\there", false}, {"ünicode", false},
	} {
		if got := ValidIdempotencyKey(tt.key); got != tt.want {
			t.Errorf("ValidIdempotencyKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestCallerContextSetsTheAgent(t *testing.T) {
	ctx := CallerContext(map[string]any{"agent_id": "someone-else", "user_id": "u1"}, "agent-1")
	if ctx["agent_id"] != "agent-1" || ctx["user_id"] != "u1" {
		t.Errorf("CallerContext = %v: a caller must not claim another agent", ctx)
	}
}

package problem

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeJSON(t *testing.T) {
	type in struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	tests := []struct {
		name    string
		data    string
		message string
		details any
	}{
		{"empty", ``, "request body is empty: send a JSON object", nil},
		{"unknown field", `{"nmae":"x"}`, `unknown field "nmae"`, map[string]string{"field": "nmae"}},
		{"wrong type", `{"n":"x"}`, "field n: expected int, got JSON string", map[string]string{"field": "n"}},
		{"trailing data", `{"name":"x"} {}`, "request body has data after the JSON value", nil},
		{"truncated", `{"name":`, "malformed JSON: unexpected end of input", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v in
			err := DecodeJSON([]byte(tt.data), &v)
			pe, ok := As(err)
			if !ok || pe.Kind != BadRequest {
				t.Fatalf("DecodeJSON(%q) = %v, want a BadRequest problem", tt.data, err)
			}
			if pe.Message != tt.message || !cmp.Equal(pe.Details, tt.details) {
				t.Errorf("problem %q %v, want %q %v", pe.Message, pe.Details, tt.message, tt.details)
			}
		})
	}
}

func TestErrorKeepsCauseOutOfMessage(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.5:5432: refused")
	pe := &Error{Kind: Unavailable, Type: "run_history_unavailable", Message: "retry shortly", Err: cause}
	wrapped := fmt.Errorf("calling: %w", pe)
	if !Is(wrapped, Unavailable) || !errors.Is(wrapped, cause) {
		t.Fatal("the problem and its cause must be found through wrapping")
	}
	if pe.TypeName() != "run_history_unavailable" || New(NotFound, "x").TypeName() != "not_found" {
		t.Error("type names")
	}
}

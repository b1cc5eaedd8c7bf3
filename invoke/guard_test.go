package invoke

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTakeConfirmationToken(t *testing.T) {
	tests := []struct {
		name      string
		field     string
		args      string
		wantToken string
		wantArgs  string
	}{
		{"no token", "", `{"a":1}`, "", `{"a":1}`},
		{"the REST field", "tgc_f", `{"a":1}`, "tgc_f", `{"a":1}`},
		{"the argument, taken out", "", `{"a": 1.50, "_confirmation_token": "tgc_a", "b": {"c": [1, 2]}}`, "tgc_a", `{"a":1.50,"b":{"c": [1, 2]}}`},
		{"the field wins, the argument still goes", "tgc_f", `{"_confirmation_token":"tgc_a","a":1}`, "tgc_f", `{"a":1}`},
		{"a null argument (strict mode)", "", `{"a":1,"_confirmation_token":null}`, "", `{"a":1}`},
		{"a number is no token", "", `{"_confirmation_token":5}`, "", `{}`},
		{"the name inside a value", "", `{"note":"\"_confirmation_token\""}`, "", `{"note":"\"_confirmation_token\""}`},
		{"not an object", "", `["_confirmation_token"]`, "", `["_confirmation_token"]`},
		{"not JSON", "", `{"_confirmation_token": `, "", `{"_confirmation_token": `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, args := takeConfirmationToken(tt.field, json.RawMessage(tt.args))
			if token != tt.wantToken {
				t.Errorf("token = %q, want %q", token, tt.wantToken)
			}
			if diff := cmp.Diff(tt.wantArgs, string(args)); diff != "" {
				t.Errorf("arguments (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzTakeConfirmationToken: whatever a model sends, the arguments that
// remain are valid JSON when they were, and never hold the token member.
func FuzzTakeConfirmationToken(f *testing.F) {
	for _, seed := range []string{`{"a":1}`, `{"_confirmation_token":"tgc_x","a":[1,{"b":null}]}`, `{"_confirmation_token":1}`,
		`[]`, `{"a":"_confirmation_token"}`, `{"\u005fconfirmation_token":"x"}`, `{`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, args := takeConfirmationToken("", json.RawMessage(raw))
		if !json.Valid([]byte(raw)) {
			return
		}
		if !json.Valid(args) {
			t.Fatalf("arguments %q became invalid JSON %q", raw, args)
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(args, &obj) == nil {
			if _, ok := obj["_confirmation_token"]; ok {
				t.Errorf("arguments %q kept the token: %q", raw, args)
			}
		}
	})
}

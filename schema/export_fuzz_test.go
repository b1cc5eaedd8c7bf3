package schema

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzExport checks that any schema text is either exported or refused with a
// *NotConvertibleError, never a panic; that whatever OpenAIStrict and
// AnthropicStrict return keeps their rules; and that the voice platforms'
// exports always have the platform's shape.
func FuzzExport(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "export", "*.json"))
	for _, input := range inputs {
		raw, err := os.ReadFile(input)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(raw))
	}
	f.Add(leadSchema)
	f.Add(`{"type":"object","properties":{"a":{"allOf":[{"$ref":"#/$defs/a"}]}},"$defs":{"a":{"allOf":[{"$ref":"#/$defs/a"}]}}}`)
	f.Add(`{"type":"object","properties":{"x":{"$ref":"#"}}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		out, _, err := OpenAIStrict(json.RawMessage(raw))
		var nce *NotConvertibleError
		if err != nil && !errors.As(err, &nce) {
			t.Fatalf("OpenAIStrict(%q) error %T %v, want *NotConvertibleError", raw, err, err)
		}
		if err == nil {
			if err := ValidateOpenAIStrict(out); err != nil {
				t.Fatalf("OpenAIStrict(%q) = %s, which ValidateOpenAIStrict refuses: %v", raw, out, err)
			}
		}
		out, _, err = AnthropicStrict(json.RawMessage(raw))
		if err != nil && !errors.As(err, &nce) {
			t.Fatalf("AnthropicStrict(%q) error %T %v, want *NotConvertibleError", raw, err, err)
		}
		if err == nil {
			if err := ValidateAnthropicStrict(out); err != nil {
				t.Fatalf("AnthropicStrict(%q) = %s, which ValidateAnthropicStrict refuses: %v", raw, out, err)
			}
		}
		if _, err := Gemini(json.RawMessage(raw)); err != nil && !errors.As(err, &nce) {
			t.Fatalf("Gemini(%q) error %T %v, want *NotConvertibleError", raw, err, err)
		}
		Anthropic(json.RawMessage(raw))
		MCP(json.RawMessage(raw))

		// The voice platforms' exports always produce something the
		// platform accepts.
		body, _, _ := ElevenLabs(json.RawMessage(raw))
		if problems := checkElevenLabsBody(body); len(problems) > 0 {
			t.Fatalf("ElevenLabs(%q) = %s: %v", raw, body, problems)
		}
		params, _, _ := Vapi(json.RawMessage(raw))
		var vapi vapiParametersShape
		if err := decodeStrictly(params, &vapi); err != nil {
			t.Fatalf("Vapi(%q) = %s: %v", raw, params, err)
		}
		if problems := vapi.check(); len(problems) > 0 {
			t.Fatalf("Vapi(%q) = %s: %v", raw, params, problems)
		}
		params, _, _ = Retell(json.RawMessage(raw))
		var retell struct {
			Type       string          `json:"type"`
			Properties json.RawMessage `json:"properties"`
			Required   []string        `json:"required"`
		}
		if err := decodeStrictly(params, &retell); err != nil || retell.Type != "object" {
			t.Fatalf("Retell(%q) = %s: %v", raw, params, err)
		}
	})
}

package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/export/*.golden with the current output")

// exportShapes renders each export shape of a schema as the text of its
// golden file: the indented JSON, then the description note, then the error
// or what could not be converted. tool is the golden input's name, used as
// the tool's name where a shape is a whole tool.
var exportShapes = []struct {
	name   string
	export func(tool string, raw json.RawMessage) (out json.RawMessage, note string, errs []error)
}{
	{"openai_strict", schemaShape(OpenAIStrict)},
	{"openai_responses", func(tool string, raw json.RawMessage) (json.RawMessage, string, []error) {
		def, err := OpenAIResponsesTool(tool, "Test tool.", raw)
		return marshalShape(def), "", errList(err)
	}},
	{"anthropic", func(_ string, raw json.RawMessage) (json.RawMessage, string, []error) { return Anthropic(raw), "", nil }},
	{"anthropic_strict", schemaShape(AnthropicStrict)},
	{"gemini", func(_ string, raw json.RawMessage) (json.RawMessage, string, []error) {
		out, err := Gemini(raw)
		return out, "", errList(err)
	}},
	{"mcp", func(_ string, raw json.RawMessage) (json.RawMessage, string, []error) { return MCP(raw), "", nil }},
	{"elevenlabs", voiceShape(ElevenLabs)},
	{"vapi", voiceShape(Vapi)},
	{"retell", voiceShape(Retell)},
}

// voiceShape adapts a voice platform's export, which always converts.
func voiceShape(export func(json.RawMessage) (json.RawMessage, string, []*NotConvertibleError)) func(string, json.RawMessage) (json.RawMessage, string, []error) {
	return func(_ string, raw json.RawMessage) (json.RawMessage, string, []error) {
		out, note, unconverted := export(raw)
		var errs []error
		for _, u := range unconverted {
			errs = append(errs, u)
		}
		return out, note, errs
	}
}

// schemaShape adapts an export that converts a schema or fails.
func schemaShape(export func(json.RawMessage) (json.RawMessage, string, error)) func(string, json.RawMessage) (json.RawMessage, string, []error) {
	return func(_ string, raw json.RawMessage) (json.RawMessage, string, []error) {
		out, note, err := export(raw)
		return out, note, errList(err)
	}
}

func errList(err error) []error {
	if err == nil {
		return nil
	}
	return []error{err}
}

// marshalShape marshals a tool shape for its golden file.
func marshalShape(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

func TestExportGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "export", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no testdata/export/*.json inputs")
	}
	for _, input := range inputs {
		name := strings.TrimSuffix(filepath.Base(input), ".json")
		raw, err := os.ReadFile(input)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Compile(raw); err != nil {
			t.Fatalf("%s does not compile: %v", input, err)
		}
		for _, shape := range exportShapes {
			t.Run(name+"/"+shape.name, func(t *testing.T) {
				out, note, errs := shape.export(name, raw)
				var got strings.Builder
				if out != nil {
					var buf bytes.Buffer
					if err := json.Indent(&buf, out, "", "  "); err != nil {
						t.Fatalf("output is not valid JSON: %v\n%s", err, out)
					}
					got.Write(buf.Bytes())
					got.WriteString("\n")
					checkExported(t, shape.name, out)
				}
				if note != "" {
					got.WriteString("description note: " + note + "\n")
				}
				for _, err := range errs {
					var nce *NotConvertibleError
					if !errors.As(err, &nce) {
						t.Fatalf("error %T %v, want *NotConvertibleError", err, err)
					}
					label := "error: "
					if out != nil {
						label = "unconverted: "
					}
					got.WriteString(label + err.Error() + "\n")
				}
				golden(t, filepath.Join("testdata", "export", name+"."+shape.name+".golden"), got.String())
			})
		}
	}
}

// checkExported checks what each exported shape must be: for JSON Schema
// shapes a schema that compiles, for strict modes one that keeps their
// rules, and for the others the shape of the provider's own type.
func checkExported(t *testing.T, shape string, out json.RawMessage) {
	t.Helper()
	switch shape {
	case "openai_strict":
		if err := ValidateOpenAIStrict(out); err != nil {
			t.Errorf("ValidateOpenAIStrict: %v", err)
		}
	case "anthropic_strict":
		if err := ValidateAnthropicStrict(out); err != nil {
			t.Errorf("ValidateAnthropicStrict: %v", err)
		}
	case "openai_responses":
		var tool struct {
			Type        string          `json:"type"`
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
			Strict      *bool           `json:"strict"`
		}
		if err := decodeStrictly(out, &tool); err != nil || tool.Type != "function" || tool.Name == "" || tool.Strict == nil {
			t.Fatalf("not a Responses API function tool (%v): %s", err, out)
		}
		if *tool.Strict {
			if err := ValidateOpenAIStrict(tool.Parameters); err != nil {
				t.Errorf("ValidateOpenAIStrict(parameters): %v", err)
			}
		}
		out = tool.Parameters
	case "gemini":
		var s geminiSchemaShape
		if err := decodeStrictly(out, &s); err != nil {
			t.Errorf("not a Gemini Schema: %v", err)
		}
		return // not JSON Schema: counts are strings
	case "elevenlabs":
		for _, problem := range checkElevenLabsBody(out) {
			t.Errorf("not an ElevenLabs body schema: %s", problem)
		}
		return // not JSON Schema: constant_value, required_constraints
	case "vapi":
		var p vapiParametersShape
		if err := decodeStrictly(out, &p); err != nil {
			t.Errorf("not Vapi parameters: %v", err)
		}
		for _, problem := range p.check() {
			t.Errorf("not Vapi parameters: %s", problem)
		}
	case "retell":
		var p struct {
			Type       string          `json:"type"`
			Properties json.RawMessage `json:"properties"`
			Required   []string        `json:"required"`
		}
		if err := decodeStrictly(out, &p); err != nil || p.Type != "object" || p.Properties == nil {
			t.Errorf("not Retell parameters (%v): %s", err, out)
		}
		if bytes.Contains(out, []byte(`"$ref"`)) || bytes.Contains(out, []byte(`"$defs"`)) {
			t.Errorf("Retell parameters keep a reference or definitions: %s", out)
		}
	}
	if _, err := Compile(out); err != nil {
		t.Errorf("exported %s schema does not compile: %v", shape, err)
	}
}

// decodeStrictly decodes data into v, refusing members v does not have.
func decodeStrictly(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// geminiSchemaShape mirrors the Schema type of @google/genai (2.x), field for
// field, with its JSON types: the int64 counts are strings.
type geminiSchemaShape struct {
	AnyOf            []*geminiSchemaShape          `json:"anyOf"`
	Default          any                           `json:"default"`
	Description      *string                       `json:"description"`
	Enum             []string                      `json:"enum"`
	Example          any                           `json:"example"`
	Format           *string                       `json:"format"`
	Items            *geminiSchemaShape            `json:"items"`
	MaxItems         *string                       `json:"maxItems"`
	MaxLength        *string                       `json:"maxLength"`
	MaxProperties    *string                       `json:"maxProperties"`
	Maximum          *float64                      `json:"maximum"`
	MinItems         *string                       `json:"minItems"`
	MinLength        *string                       `json:"minLength"`
	MinProperties    *string                       `json:"minProperties"`
	Minimum          *float64                      `json:"minimum"`
	Nullable         *bool                         `json:"nullable"`
	Pattern          *string                       `json:"pattern"`
	Properties       map[string]*geminiSchemaShape `json:"properties"`
	PropertyOrdering []string                      `json:"propertyOrdering"`
	Required         []string                      `json:"required"`
	Title            *string                       `json:"title"`
	Type             *string                       `json:"type"`
}

// golden compares got with the file at path, or rewrites the file when the
// -update flag is set.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test ./schema -run Export -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

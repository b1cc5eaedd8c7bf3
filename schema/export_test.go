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
// golden file: the indented JSON, then the description note or the error.
var exportShapes = []struct {
	name   string
	export func(raw json.RawMessage) (json.RawMessage, string, error)
}{
	{"openai_strict", OpenAIStrict},
	{"anthropic", func(raw json.RawMessage) (json.RawMessage, string, error) { return Anthropic(raw), "", nil }},
	{"gemini", func(raw json.RawMessage) (json.RawMessage, string, error) {
		out, err := Gemini(raw)
		return out, "", err
	}},
	{"mcp", func(raw json.RawMessage) (json.RawMessage, string, error) { return MCP(raw), "", nil }},
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
				out, note, err := shape.export(raw)
				var got strings.Builder
				if err != nil {
					var nce *NotConvertibleError
					if !errors.As(err, &nce) {
						t.Fatalf("error %T %v, want *NotConvertibleError", err, err)
					}
					got.WriteString("error: " + err.Error() + "\n")
				} else {
					var buf bytes.Buffer
					if err := json.Indent(&buf, out, "", "  "); err != nil {
						t.Fatalf("output is not valid JSON: %v\n%s", err, out)
					}
					got.Write(buf.Bytes())
					got.WriteString("\n")
					if note != "" {
						got.WriteString("description note: " + note + "\n")
					}
					checkExported(t, shape.name, out)
				}
				golden(t, filepath.Join("testdata", "export", name+"."+shape.name+".golden"), got.String())
			})
		}
	}
}

// checkExported checks what every exported shape must be: a schema that
// compiles, and for strict mode one that keeps strict mode's rules.
func checkExported(t *testing.T, shape string, out json.RawMessage) {
	t.Helper()
	if _, err := Compile(out); err != nil {
		t.Errorf("exported %s schema does not compile: %v", shape, err)
	}
	if shape == "openai_strict" {
		if err := ValidateOpenAIStrict(out); err != nil {
			t.Errorf("ValidateOpenAIStrict: %v", err)
		}
	}
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

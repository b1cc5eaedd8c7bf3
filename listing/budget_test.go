package listing

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// objectSchema is a schema with required and optional string properties,
// and union properties (a string or an integer).
func objectSchema(required, optional, unions int) json.RawMessage {
	props := map[string]any{}
	var req []string
	for i := range required {
		name := fmt.Sprintf("r%d", i)
		props[name] = map[string]any{"type": "string"}
		req = append(req, name)
	}
	for i := range optional {
		props[fmt.Sprintf("o%d", i)] = map[string]any{"type": "string"}
	}
	for i := range unions {
		name := fmt.Sprintf("u%d", i)
		props[name] = map[string]any{"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
		req = append(req, name)
	}
	s := map[string]any{"type": "object", "properties": props}
	if len(req) > 0 {
		s["required"] = req
	}
	raw, _ := json.Marshal(s)
	return raw
}

func TestAnthropicStrictBudget(t *testing.T) {
	type spec struct{ required, optional, unions int }
	many := make([]spec, schema.AnthropicStrictMaxTools+2)
	for i := range many {
		many[i] = spec{required: 1}
	}
	tests := []struct {
		name  string
		tools []spec
		// plain are the tools listed without strict, by position, with a
		// word of the reason.
		plain map[int]string
	}{
		{"within every limit", []spec{{2, 3, 1}, {1, 0, 0}}, map[int]string{}},
		{"too many tools", many, map[int]string{20: "all 20 strict tools", 21: "all 20 strict tools"}},
		// The second would bring the optional properties to 30; the third
		// still fits (20 + 4 = 24).
		{"optional properties", []spec{{0, 20, 0}, {1, 10, 0}, {1, 4, 0}}, map[int]string{1: "10 optional properties"}},
		{"alternatives", []spec{{0, 0, 10}, {0, 0, 7}, {0, 0, 6}}, map[int]string{1: "7 schemas with alternatives"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pieces := make([]*piece, len(tt.tools))
			for i, s := range tt.tools {
				p, err := tools.Prepare("id", 1, &tools.Definition{Name: fmt.Sprintf("t%d", i), Description: "A tool.",
					URL: "http://127.0.0.1:1/", InputSchema: objectSchema(s.required, s.optional, s.unions)})
				if err != nil {
					t.Fatal(err)
				}
				pieces[i] = pieceIn(t, p, FormatAnthropicStrict)
			}
			raw, err := assemble(pieces)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Tools []struct {
					Name   string `json:"name"`
					Strict bool   `json:"strict"`
				} `json:"tools"`
				Unconverted []unconvertedTool `json:"unconverted"`
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatal(err)
			}
			plain := map[int]string{}
			for i, tool := range body.Tools {
				if !tool.Strict {
					plain[i] = ""
				}
			}
			for _, u := range body.Unconverted {
				var i int
				if _, err := fmt.Sscanf(u.Name, "t%d", &i); err != nil {
					t.Fatalf("unconverted %+v", u)
				}
				if u.Target != schema.TargetAnthropicStrict || !strings.Contains(u.Reason, tt.plain[i]) {
					t.Errorf("%s: %+v, want a reason with %q", u.Name, u, tt.plain[i])
				}
				plain[i] = tt.plain[i]
			}
			if diff := cmp.Diff(tt.plain, plain); diff != "" {
				t.Errorf("tools without strict (-want +got):\n%s", diff)
			}
		})
	}
}

// pieceIn renders a tool version in a format.
func pieceIn(t testing.TB, p *tools.Prepared, format string) *piece {
	t.Helper()
	pieces, err := renderPieces(p)
	if err != nil {
		t.Fatal(err)
	}
	return pieces[slices.Index(Formats, format)]
}

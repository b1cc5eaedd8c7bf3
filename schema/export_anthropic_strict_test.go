package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// manySchema has count string properties, of which required are required;
// with union set, each property takes a string or an integer.
func manySchema(count, required int, union bool) string {
	props := make([]string, count)
	names := make([]string, required)
	for i := range props {
		typ := `"string"`
		if union {
			typ = `["string","integer"]`
		}
		props[i] = fmt.Sprintf(`"p%d":{"type":%s}`, i, typ)
		if i < required {
			names[i] = fmt.Sprintf(`"p%d"`, i)
		}
	}
	return `{"type":"object","properties":{` + strings.Join(props, ",") + `},"required":[` + strings.Join(names, ",") + `]}`
}

func TestAnthropicStrictConverts(t *testing.T) {
	tests := []struct {
		name, schema, want, note string
	}{
		{
			name:   "absent schema",
			schema: ``,
			want:   `{"type":"object","properties":{},"additionalProperties":false}`,
		},
		{
			name:   "optional properties stay optional",
			schema: `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":["string","null"]},"c":{"type":"object","properties":{"d":{"type":"integer"}}}},"required":["a"]}`,
			want:   `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":["string","null"]},"c":{"type":"object","properties":{"d":{"type":"integer"}},"additionalProperties":false}},"required":["a"],"additionalProperties":false}`,
		},
		{
			name:   "kept and described keywords",
			schema: `{"type":"object","properties":{"n":{"type":"integer","minimum":1,"maximum":9},"tags":{"type":"array","items":{"type":"string"},"minItems":3,"maxItems":5},"one":{"type":"array","items":{"type":"string"},"minItems":1},"code":{"type":"string","pattern":"^[A-Z]{3}$","format":"uri"},"word":{"type":"string","pattern":"\\bcat\\b"},"size":{"enum":["s","m"],"default":"m"},"pick":{"enum":[{"a":1},{"a":2}],"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}},"required":["n","tags","one","code","word","size","pick"]}`,
			want:   `{"type":"object","properties":{"n":{"type":"integer","description":"Constraints: must be at least 1; must be at most 9."},"tags":{"type":"array","items":{"type":"string"},"minItems":1,"description":"Constraints: must have at least 3 items; must have at most 5 items."},"one":{"type":"array","items":{"type":"string"},"minItems":1},"code":{"type":"string","pattern":"^[A-Z]{3}$","format":"uri"},"word":{"type":"string","description":"Constraints: must match the pattern \\bcat\\b."},"size":{"type":"string","enum":["s","m"],"description":"Defaults to \"m\"."},"pick":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false,"description":"Constraints: must be one of {\"a\":1} or {\"a\":2}."}},"required":["n","tags","one","code","word","size","pick"],"additionalProperties":false}`,
		},
		{
			name:   "root alternatives of required lists become the note",
			schema: `{"type":"object","properties":{"phone":{"type":"string"},"email":{"type":"string"}},"anyOf":[{"required":["phone"]},{"required":["email"]}]}`,
			want:   `{"type":"object","properties":{"phone":{"type":"string"},"email":{"type":"string"}},"additionalProperties":false}`,
			note:   "Arguments: must include phone or email.",
		},
		{
			name:   "at the limits",
			schema: manySchema(AnthropicStrictMaxOptional+AnthropicStrictMaxUnions, AnthropicStrictMaxUnions, false),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, note, err := AnthropicStrict(json.RawMessage(tt.schema))
			if err != nil {
				t.Fatalf("AnthropicStrict: %v", err)
			}
			if tt.want != "" {
				if diff := cmp.Diff(tt.want, string(out)); diff != "" {
					t.Errorf("converted mismatch (-want +got):\n%s", diff)
				}
			}
			if note != tt.note {
				t.Errorf("descriptionNote = %q, want %q", note, tt.note)
			}
			if err := ValidateAnthropicStrict(out); err != nil {
				t.Errorf("ValidateAnthropicStrict: %v", err)
			}
			if _, err := Compile(out); err != nil {
				t.Errorf("converted schema does not compile: %v", err)
			}
		})
	}
}

func TestAnthropicStrictRefuses(t *testing.T) {
	tests := []struct {
		name, schema, path, reason string
	}{
		{"recursive definition", `{"type":"object","$defs":{"node":{"type":"object","properties":{"next":{"$ref":"#/$defs/node"}}}},"properties":{"head":{"$ref":"#/$defs/node"}}}`, "input_schema.$defs.node.properties.next.$ref", "cannot describe recursive schemas"},
		{"recursive root", `{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#"}}}}`, "input_schema.properties.children.items.$ref", "cannot describe recursive schemas"},
		{"too many optional properties", manySchema(AnthropicStrictMaxOptional+1, 0, false), "input_schema", "has 25 optional properties; Anthropic allows at most 24"},
		{"too many unions", manySchema(AnthropicStrictMaxUnions+1, AnthropicStrictMaxUnions+1, true), "input_schema", "has 17 schemas with anyOf or a list of types; Anthropic allows at most 16"},
		{"open map", `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string"}}}}`, "input_schema.properties.m.additionalProperties", "open map"},
		{"too deep", nestedSchema(MaxSchemaDepth + 1), "input_schema.properties.n", "nested more than 32 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := AnthropicStrict(json.RawMessage(tt.schema))
			var nce *NotConvertibleError
			if !errors.As(err, &nce) {
				t.Fatalf("AnthropicStrict = %s, %v; want a *NotConvertibleError", out, err)
			}
			if nce.Target != TargetAnthropicStrict || !strings.HasPrefix(nce.Path, tt.path) || !strings.Contains(nce.Reason, tt.reason) {
				t.Errorf("error = %+v, want target %q, path %q and a reason containing %q", *nce, TargetAnthropicStrict, tt.path, tt.reason)
			}
		})
	}
}

func TestValidateAnthropicStrictFindsViolations(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{"object not closed", `{"type":"object","properties":{"a":{"type":"string"}}}`, "input_schema.additionalProperties: must be false"},
		{"numeric bound", `{"type":"object","properties":{"a":{"type":"integer","maximum":3}},"additionalProperties":false}`, "input_schema.properties.a.maximum: is not supported"},
		{"minItems over 1", `{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"},"minItems":2}},"additionalProperties":false}`, "input_schema.properties.a.minItems: must be at most 1"},
		{"enum of objects", `{"type":"object","properties":{"a":{"type":"object","properties":{},"additionalProperties":false,"enum":[{}]}},"additionalProperties":false}`, "input_schema.properties.a.enum: must list only strings"},
		{"word boundary", `{"type":"object","properties":{"a":{"type":"string","pattern":"\\bx"}},"additionalProperties":false}`, "input_schema.properties.a.pattern: uses a backreference"},
		{"unknown format", `{"type":"object","properties":{"a":{"type":"string","format":"iri"}},"additionalProperties":false}`, "input_schema.properties.a.format: must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateAnthropicStrict(json.RawMessage(tt.schema))
			var sme *StrictModeError
			if !errors.As(err, &sme) || sme.Target != TargetAnthropicStrict {
				t.Fatalf("ValidateAnthropicStrict = %v, want a *StrictModeError for %s", err, TargetAnthropicStrict)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidateAnthropicStrict = %v, want a problem containing %q", err, tt.want)
			}
		})
	}
}

func TestMeasureAnthropicStrict(t *testing.T) {
	converted, _, err := AnthropicStrict(json.RawMessage(`{"type":"object","$defs":{"c":{"type":"object","properties":{"x":{"type":"string"},"y":{"type":"string"}},"required":["x"]}},"properties":{"a":{"type":["string","null"]},"b":{"anyOf":[{"type":"string"},{"type":"integer"}]},"c":{"$ref":"#/$defs/c"},"d":{"type":"string"}},"required":["d"]}`))
	if err != nil {
		t.Fatal(err)
	}
	// Optional: a, b, c and the definition's y. Unions: a's type list, b's anyOf.
	want := AnthropicStrictUsage{Optional: 4, Unions: 2}
	if got := MeasureAnthropicStrict(converted); got != want {
		t.Errorf("MeasureAnthropicStrict = %+v, want %+v", got, want)
	}
}

func TestStrictTools(t *testing.T) {
	const convertible = `{"type":"object","properties":{"a":{"type":"string"}},"anyOf":[{"required":["a"]}]}`
	const openMap = `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string"}}}}`

	anthropic, err := AnthropicStrictTool("t", "Does t", json.RawMessage(convertible))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(marshalShape(anthropic)), `{"name":"t","description":"Does t. Arguments: must include a.","input_schema":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false},"strict":true}`; got != want {
		t.Errorf("AnthropicStrictTool = %s, want %s", got, want)
	}
	anthropic, err = AnthropicStrictTool("t", "Does t.", json.RawMessage(openMap))
	var nce *NotConvertibleError
	if !errors.As(err, &nce) || nce.Target != TargetAnthropicStrict {
		t.Errorf("AnthropicStrictTool error = %v, want a *NotConvertibleError", err)
	}
	if got, want := string(marshalShape(anthropic)), `{"name":"t","description":"Does t.","input_schema":`+openMap+`}`; got != want {
		t.Errorf("AnthropicStrictTool fallback = %s, want %s", got, want)
	}

	responses, err := OpenAIResponsesTool("t", "", json.RawMessage(convertible))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(marshalShape(responses)), `{"type":"function","name":"t","description":"Arguments: must include a.","parameters":{"type":"object","properties":{"a":{"type":["string","null"]}},"required":["a"],"additionalProperties":false},"strict":true}`; got != want {
		t.Errorf("OpenAIResponsesTool = %s, want %s", got, want)
	}
	responses, err = OpenAIResponsesTool("t", "Does t.", json.RawMessage(openMap))
	if !errors.As(err, &nce) || nce.Target != TargetOpenAIStrict {
		t.Errorf("OpenAIResponsesTool error = %v, want a *NotConvertibleError", err)
	}
	if got, want := string(marshalShape(responses)), `{"type":"function","name":"t","description":"Does t.","parameters":`+openMap+`,"strict":false}`; got != want {
		t.Errorf("OpenAIResponsesTool fallback = %s, want %s", got, want)
	}
}

package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// deepSchema nests objects levels deep under the property "n".
func deepSchema(levels int) string {
	s := `{"type":"object","properties":{"leaf":{"type":"string"}},"required":["leaf"]}`
	for range levels - 1 {
		s = `{"type":"object","properties":{"n":` + s + `},"required":["n"]}`
	}
	return s
}

// wideSchema has count string properties.
func wideSchema(count int) string {
	props := make([]string, count)
	for i := range props {
		props[i] = fmt.Sprintf(`"p%d":{"type":"string"}`, i)
	}
	return `{"type":"object","properties":{` + strings.Join(props, ",") + `}}`
}

// doublingSchema has definitions that each refer twice to the next, so that
// inlining them makes 2^levels copies.
func doublingSchema(levels int) string {
	s := `{"type":"object","properties":{"x":{"$ref":"#/$defs/d0"}},"$defs":{`
	for i := range levels {
		s += fmt.Sprintf(`"d%d":{"type":"object","properties":{"a":{"$ref":"#/$defs/d%d"},"b":{"$ref":"#/$defs/d%d"}},"required":["a","b"]},`, i, i+1, i+1)
	}
	return s + fmt.Sprintf(`"d%d":{"type":"string"}}}`, levels)
}

func TestOpenAIStrictRefuses(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		path   string
		reason string // a part of the reason
	}{
		{"root not an object", `[]`, "input_schema", "must be a JSON object"},
		{"root type string", `{"type":"string"}`, "input_schema.type", `must be "object"`},
		{"open map", `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string"}}}}`, "input_schema.properties.m.additionalProperties", "open map"},
		{"pattern properties", `{"type":"object","patternProperties":{"^x":{"type":"string"}}}`, "input_schema.patternProperties", "by pattern"},
		{"free-form nested object", `{"type":"object","properties":{"meta":{"type":"object"}}}`, "input_schema.properties.meta", "without declared properties"},
		{"any value", `{"type":"object","properties":{"v":{"description":"anything"}}}`, "input_schema.properties.v", "any JSON value"},
		{"array without items", `{"type":"object","properties":{"tags":{"type":"array"}}}`, "input_schema.properties.tags", "without an items schema"},
		{"tuple", `{"type":"object","properties":{"pt":{"type":"array","prefixItems":[{"type":"number"},{"type":"number"}]}}}`, "input_schema.properties.pt.prefixItems", "tuple"},
		{"remote ref", `{"type":"object","properties":{"x":{"$ref":"https://example.com/x.json"}}}`, "input_schema.properties.x.$ref", "outside this schema"},
		{"ref outside $defs", `{"type":"object","properties":{"a":{"type":"string"},"b":{"$ref":"#/properties/a"}}}`, "input_schema.properties.b.$ref", "#/$defs/name"},
		{"root anyOf of shapes", `{"type":"object","anyOf":[{"properties":{"a":{"type":"string"}}},{"properties":{"b":{"type":"string"}}}]}`, "input_schema.anyOf", "one object at the root"},
		{"required but undeclared", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a","b"]}`, "input_schema.required", "lists b"},
		{"allOf that disagrees", `{"type":"object","properties":{"n":{"allOf":[{"type":"string"},{"type":"integer"}]}}}`, "input_schema.properties.n.allOf[1].type", "disagrees"},
		{"too deep", deepSchema(11), "input_schema", "nests objects 11 levels deep; strict mode allows at most 10"},
		{"too many properties", wideSchema(5001), "input_schema", "has 5001 properties in all; strict mode allows at most 5000"},
		{"too many enum values", enumSchema(1, 1001, 4), "input_schema", "has 1001 enum values in all; strict mode allows at most 1000"},
		{"too many characters", charsSchema(120001), "input_schema", "has 120001 characters of property names, definition names, enum values and const values in all; strict mode allows at most 120000"},
		{"large string enum too long", enumSchema(1, 251, 60), "input_schema.properties.e0.enum", "has 251 string values of 15060 characters in all; strict mode allows at most 15000 characters in an enum of more than 250 strings"},
		{"too deep through references", doublingSchema(40), "input_schema", "nests objects 41 levels deep"},
		{"recursive allOf", `{"type":"object","allOf":[{"$ref":"#"},{"$ref":"#"}]}`, "input_schema" + strings.Repeat(".allOf[0]", 17), "too deeply to merge"},
		{"invalid JSON", `{"type":`, "input_schema", "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := OpenAIStrict(json.RawMessage(tt.schema))
			var nce *NotConvertibleError
			if !errors.As(err, &nce) {
				t.Fatalf("OpenAIStrict = %s, %v; want a *NotConvertibleError", out, err)
			}
			if nce.Target != TargetOpenAIStrict || nce.Path != tt.path || !strings.Contains(nce.Reason, tt.reason) {
				t.Errorf("error = %+v, want target %q, path %q and a reason containing %q", *nce, TargetOpenAIStrict, tt.path, tt.reason)
			}
		})
	}
}

// enumSchema has props required string properties, e0, e1..., each with an
// enum of count values of length characters.
func enumSchema(props, count, length int) string {
	list := make([]string, props)
	names := make([]string, props)
	for p := range list {
		names[p] = fmt.Sprintf(`"e%d"`, p)
		values := make([]string, count)
		for i := range values {
			values[i] = fmt.Sprintf(`"%0*d"`, length, i)
		}
		list[p] = fmt.Sprintf(`"e%d":{"type":"string","enum":[%s]}`, p, strings.Join(values, ","))
	}
	return `{"type":"object","properties":{` + strings.Join(list, ",") + `},"required":[` + strings.Join(names, ",") + `]}`
}

// charsSchema has exactly chars characters of property names and enum
// values, in enums of at most 250 values: eight properties with 125 values
// of 119 characters, and one more property whose name makes up the rest.
func charsSchema(chars int) string {
	const used = 8*2 + 8*125*119 // e0..e7 and their values
	name := strings.Repeat("x", chars-used)
	s := enumSchema(8, 125, 119)
	s = strings.Replace(s, `},"required":[`, `,"`+name+`":{"type":"string"}},"required":["`+name+`",`, 1)
	return s
}

func TestOpenAIStrictLimitsAreInclusive(t *testing.T) {
	for name, schema := range map[string]string{
		"10 levels":                     deepSchema(10),
		"5000 properties":               wideSchema(5000),
		"1000 enum values":              enumSchema(4, 250, 4),
		"120000 characters":             charsSchema(120000),
		"enum of 251 strings, 15000":    enumSchema(1, 251, 59),
		"enum of 250 long strings":      enumSchema(1, 250, 100),
		"optional property taking null": `{"type":"object","properties":{"nick":{"type":["string","null"]}}}`,
	} {
		if _, _, err := OpenAIStrict(json.RawMessage(schema)); err != nil {
			t.Errorf("%s: OpenAIStrict: %v", name, err)
		}
	}
}

func TestOpenAIStrictConverts(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   string
		note   string
	}{
		{
			name:   "absent schema",
			schema: ``,
			want:   `{"type":"object","properties":{},"required":[],"additionalProperties":false}`,
		},
		{
			name:   "recursive reference to the root",
			schema: `{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}},"required":["name","children"]}`,
			want:   `{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}},"required":["name","children"],"additionalProperties":false}`,
		},
		{
			name:   "optional const and enum without type",
			schema: `{"type":"object","properties":{"kind":{"const":"lead"},"size":{"enum":[1,2,3]}}}`,
			want:   `{"type":"object","properties":{"kind":{"anyOf":[{"type":"string","const":"lead"},{"type":"null"}]},"size":{"type":["integer","null"],"enum":[1,2,3,null]}},"required":["kind","size"],"additionalProperties":false}`,
		},
		{
			name:   "optional property that takes null is made required",
			schema: `{"type":"object","properties":{"nick":{"type":["string","null"]},"v":{"anyOf":[{"type":"string"},{"type":"null"}]},"e":{"enum":["a",null]}}}`,
			want:   `{"type":"object","properties":{"nick":{"type":["string","null"]},"v":{"anyOf":[{"type":"string"},{"type":"null"}]},"e":{"enum":["a",null]}},"required":["nick","v","e"],"additionalProperties":false}`,
		},
		{
			name:   "required property that takes null stays as it is",
			schema: `{"type":"object","properties":{"nick":{"type":["string","null"]}},"required":["nick"]}`,
			want:   `{"type":"object","properties":{"nick":{"type":["string","null"]}},"required":["nick"],"additionalProperties":false}`,
		},
		{
			name:   "root constraints become the description note",
			schema: `{"type":"object","properties":{"phone":{"type":"string"},"email":{"type":"string"}},"anyOf":[{"required":["phone"]},{"required":["email"]}],"dependentRequired":{"email":["phone"]}}`,
			want:   `{"type":"object","properties":{"phone":{"type":["string","null"]},"email":{"type":["string","null"]}},"required":["phone","email"],"additionalProperties":false}`,
			note:   "Arguments: must include phone or email; when email is given, phone must be given too.",
		},
		{
			name:   "dropped keywords are described",
			schema: `{"type":"object","properties":{"code":{"type":"string","description":"Voucher code","minLength":4,"not":{"const":"TEST"},"format":"uri","examples":["ABCD","WXYZ"]},"ids":{"type":"array","items":{"type":"integer"},"uniqueItems":true,"contains":{"const":1}}},"required":["code","ids"]}`,
			want:   `{"type":"object","properties":{"code":{"type":"string","description":"Voucher code. Constraints: must be at least 4 characters long; must not match {\"const\":\"TEST\"}; must be an absolute URI, e.g. https://example.com/page. Examples: \"ABCD\", \"WXYZ\"."},"ids":{"type":"array","items":{"type":"integer"},"description":"Constraints: must not repeat items; must contain at least one item matching {\"const\":1}."}},"required":["code","ids"],"additionalProperties":false}`,
		},
		{
			name:   "draft-07 definitions",
			schema: `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","definitions":{"id":{"type":"string","format":"uuid"}},"properties":{"id":{"$ref":"#/definitions/id"}},"required":["id"]}`,
			want:   `{"type":"object","definitions":{"id":{"type":"string","format":"uuid"}},"properties":{"id":{"$ref":"#/definitions/id"}},"required":["id"],"additionalProperties":false}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, note, err := OpenAIStrict(json.RawMessage(tt.schema))
			if err != nil {
				t.Fatalf("OpenAIStrict: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(out)); diff != "" {
				t.Errorf("converted mismatch (-want +got):\n%s", diff)
			}
			if note != tt.note {
				t.Errorf("descriptionNote = %q, want %q", note, tt.note)
			}
			if err := ValidateOpenAIStrict(out); err != nil {
				t.Errorf("ValidateOpenAIStrict: %v", err)
			}
			if _, err := Compile(out); err != nil {
				t.Errorf("converted schema does not compile: %v", err)
			}
		})
	}
}

func TestValidateOpenAIStrictFindsViolations(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   string // a part of one problem
	}{
		{"object not closed", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}`, "input_schema.additionalProperties: must be false"},
		{"property not required", `{"type":"object","properties":{"a":{"type":"string"}},"required":[],"additionalProperties":false}`, "input_schema.properties.a: is not listed in required"},
		{"unsupported keyword", `{"type":"object","properties":{"a":{"type":"string","minLength":1}},"required":["a"],"additionalProperties":false}`, "input_schema.properties.a.minLength: is not supported"},
		{"unsupported format", `{"type":"object","properties":{"a":{"type":"string","format":"uri"}},"required":["a"],"additionalProperties":false}`, "input_schema.properties.a.format: must be one of"},
		{"ref with siblings", `{"type":"object","$defs":{"d":{"type":"string"}},"properties":{"a":{"$ref":"#/$defs/d","description":"x"}},"required":["a"],"additionalProperties":false}`, "has keywords beside $ref"},
		{"dangling ref", `{"type":"object","properties":{"a":{"$ref":"#/$defs/nope"}},"required":["a"],"additionalProperties":false}`, `refers to "#/$defs/nope", which does not exist`},
		{"no type", `{"type":"object","properties":{"a":{"description":"x"}},"required":["a"],"additionalProperties":false}`, "input_schema.properties.a: has no type"},
		{"root anyOf", `{"type":"object","properties":{},"required":[],"additionalProperties":false,"anyOf":[{"type":"object"}]}`, "input_schema.anyOf: is not allowed at the root"},
		{"array without items", `{"type":"object","properties":{"a":{"type":"array"}},"required":["a"],"additionalProperties":false}`, "input_schema.properties.a.items: is missing"},
		{"nested $defs", `{"type":"object","properties":{"a":{"type":"string","$defs":{}}},"required":["a"],"additionalProperties":false}`, "is only allowed at the root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateOpenAIStrict(json.RawMessage(tt.schema))
			var sme *StrictModeError
			if !errors.As(err, &sme) {
				t.Fatalf("ValidateOpenAIStrict = %v, want a *StrictModeError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidateOpenAIStrict = %v, want a problem containing %q", err, tt.want)
			}
		})
	}
}

func TestGeminiRefuses(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		path   string // ending in ... to match a prefix
		reason string
	}{
		{"recursive", `{"type":"object","$defs":{"node":{"type":"object","properties":{"next":{"$ref":"#/$defs/node"}}}},"properties":{"head":{"$ref":"#/$defs/node"}}}`, "input_schema.properties.head.properties.next.$ref", "recursive"},
		{"recursive root", `{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#"}}}}`, "input_schema.properties.children.items.$ref", "recursive"},
		{"open map", `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string"}}}}`, "input_schema.properties.m.additionalProperties", "open map"},
		{"several types with keywords", `{"type":"object","properties":{"v":{"type":["string","integer"],"minimum":1}}}`, "input_schema.properties.v.type", "one type per schema"},
		{"only null", `{"type":"object","properties":{"v":{"type":"null"}}}`, "input_schema.properties.v.type", "only null"},
		{"any value", `{"type":"object","properties":{"v":{}}}`, "input_schema.properties.v", "any JSON value"},
		{"root type", `{"type":"array"}`, "input_schema.type", `must be "object"`},
		{"too large once inlined", doublingSchema(40), "input_schema.properties.x.properties.a...", "too large once its references are inlined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Gemini(json.RawMessage(tt.schema))
			var nce *NotConvertibleError
			if !errors.As(err, &nce) {
				t.Fatalf("Gemini = %s, %v; want a *NotConvertibleError", out, err)
			}
			pathOK := nce.Path == tt.path
			if prefix, ok := strings.CutSuffix(tt.path, "..."); ok {
				pathOK = strings.HasPrefix(nce.Path, prefix)
			}
			if nce.Target != TargetGemini || !pathOK || !strings.Contains(nce.Reason, tt.reason) {
				t.Errorf("error = %+v, want target %q, path %q and a reason containing %q", *nce, TargetGemini, tt.path, tt.reason)
			}
		})
	}
}

func TestGeminiConverts(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   string
	}{
		{"absent schema", `null`, `{"type":"object"}`},
		{
			"several types become anyOf",
			`{"type":"object","properties":{"id":{"type":["string","integer","null"],"description":"Id or number."}}}`,
			`{"type":"object","properties":{"id":{"description":"Id or number.","anyOf":[{"type":"string"},{"type":"integer"}],"nullable":true}},"propertyOrdering":["id"]}`,
		},
		{
			"enum with null and a title",
			`{"type":"object","properties":{"size":{"title":"Size","enum":["s","m",null]}}}`,
			`{"type":"object","properties":{"size":{"type":"string","title":"Size","enum":["s","m"],"nullable":true}},"propertyOrdering":["size"]}`,
		},
		{
			"non-string const and kept formats",
			`{"type":"object","properties":{"v":{"const":2},"n":{"type":"integer","format":"int64"},"f":{"type":"number","format":"decimal"}}}`,
			`{"type":"object","properties":{"v":{"type":"integer","description":"Constraints: must be 2."},"n":{"type":"integer","format":"int64"},"f":{"type":"number","description":"Constraints: must be a valid decimal."}},"propertyOrdering":["v","n","f"]}`,
		},
		{
			"keywords Gemini's Schema has are kept",
			`{"type":"object","title":"Order","properties":{"code":{"type":"string","title":"Code","pattern":"^[A-Z]{3}$","minLength":3,"maxLength":3,"format":"email","default":"ABC","examples":["XYZ"]},"n":{"type":"integer","minimum":1,"maximum":9,"exclusiveMaximum":10,"multipleOf":2},"tags":{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":5,"uniqueItems":true},"meta":{"type":"object","properties":{"b":{"type":"boolean"},"a":{"type":"boolean"}},"minProperties":1,"maxProperties":2,"additionalProperties":false}},"required":["code"]}`,
			`{"type":"object","title":"Order","properties":{"code":{"type":"string","title":"Code","pattern":"^[A-Z]{3}$","minLength":"3","maxLength":"3","default":"ABC","example":"XYZ","format":"email"},"n":{"type":"integer","minimum":1,"maximum":9,"description":"Constraints: must be less than 10; must be a multiple of 2."},"tags":{"type":"array","items":{"type":"string"},"minItems":"1","maxItems":"5","description":"Constraints: must not repeat items."},"meta":{"type":"object","properties":{"b":{"type":"boolean"},"a":{"type":"boolean"}},"minProperties":"1","maxProperties":"2","propertyOrdering":["b","a"]}},"required":["code"],"propertyOrdering":["code","n","tags","meta"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Gemini(json.RawMessage(tt.schema))
			if err != nil {
				t.Fatalf("Gemini: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(out)); diff != "" {
				t.Errorf("Gemini mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnthropicAndMCP(t *testing.T) {
	tests := []struct {
		name, schema, anthropic, mcp string
	}{
		{"absent", ``, `{"type":"object"}`, `{"type":"object"}`},
		{"empty object", `{ }`, `{"type":"object"}`, `{"type":"object"}`},
		{
			"$schema kept for MCP only, order and numbers kept",
			`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"z":{"type":"number","maximum":1.50},"a":{"type":"string","pattern":"<a&b>"}}}`,
			`{"type":"object","properties":{"z":{"type":"number","maximum":1.50},"a":{"type":"string","pattern":"<a&b>"}}}`,
			`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"z":{"type":"number","maximum":1.50},"a":{"type":"string","pattern":"<a&b>"}}}`,
		},
		{"missing root type", `{"properties":{"a":{"type":"string"}}}`, `{"type":"object","properties":{"a":{"type":"string"}}}`, `{"type":"object","properties":{"a":{"type":"string"}}}`},
		{"not an object", `[1]`, `[1]`, `[1]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(Anthropic(json.RawMessage(tt.schema))); got != tt.anthropic {
				t.Errorf("Anthropic = %s, want %s", got, tt.anthropic)
			}
			if got := string(MCP(json.RawMessage(tt.schema))); got != tt.mcp {
				t.Errorf("MCP = %s, want %s", got, tt.mcp)
			}
		})
	}
}

// benchExportSchema reads a typical tool schema from the golden inputs.
func benchExportSchema(b *testing.B) json.RawMessage {
	raw, err := os.ReadFile(filepath.Join("testdata", "export", "create_callback_lead.json"))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func BenchmarkOpenAIStrict(b *testing.B) {
	raw := benchExportSchema(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := OpenAIStrict(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGemini(b *testing.B) {
	raw := benchExportSchema(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Gemini(raw); err != nil {
			b.Fatal(err)
		}
	}
}

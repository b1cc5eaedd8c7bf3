package schema

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// nestedSchema nests levels schemas under properties, as the schema from the
// report did: {"type":"object","properties":{"n":{...}}}, the innermost a
// string.
func nestedSchema(levels int) string {
	var sb strings.Builder
	for range levels - 1 {
		sb.WriteString(`{"type":"object","properties":{"n":`)
	}
	sb.WriteString(`{"type":"string"}`)
	for range levels - 1 {
		sb.WriteString(`}}`)
	}
	return sb.String()
}

// nestedValue nests levels arrays in a default value: [[[...]]].
func nestedValue(levels int) string {
	return `{"type":"object","default":` + strings.Repeat("[", levels) + strings.Repeat("]", levels) + `}`
}

func TestCompileRefusesSchemasOverTheLimits(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   error
		path   string // a prefix of the error's path
	}{
		{"1,000 levels", nestedSchema(1000), ErrSchemaTooDeep, "input_schema.properties.n.properties.n"},
		{"2,000 levels", nestedSchema(2000), ErrSchemaTooDeep, "input_schema.properties.n"},
		{"one level too deep", nestedSchema(MaxSchemaDepth + 1), ErrSchemaTooDeep, "input_schema.properties.n"},
		{"deep through anyOf", `{"type":"object","properties":{"a":` + strings.Repeat(`{"anyOf":[`, 40) + `{"type":"string"}` + strings.Repeat(`]}`, 40) + `}}`, ErrSchemaTooDeep, "input_schema.properties.a.anyOf[0].anyOf[0]"},
		{"deep value", nestedValue(MaxSchemaDepth), ErrSchemaTooDeep, "input_schema.default[0][0]"},
		{"deep unknown keyword", `{"type":"object","x-meta":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40) + `}`, ErrSchemaTooDeep, "input_schema.x-meta.a.a"},
		{"too large", `{"type":"object","description":"` + strings.Repeat("x", MaxSchemaBytes) + `"}`, ErrSchemaTooLarge, "input_schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Compile(json.RawMessage(tt.schema))
			elapsed := time.Since(start)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Compile error = %v, want %v", err, tt.want)
			}
			var ce *CompileError
			if !errors.As(err, &ce) || !strings.HasPrefix(ce.Path, tt.path) || ce.Message == "" {
				t.Errorf("Compile error = %#v, want a *CompileError at %s... with a message", err, tt.path)
			}
			// The limits are checked before the compiler sees the schema,
			// so even a huge one is refused at once. The bound is generous
			// for slow, shared machines; BenchmarkCompileTooDeep measures.
			if elapsed > time.Second {
				t.Errorf("Compile took %v to refuse the schema, want well under a second", elapsed)
			}
		})
	}
}

func TestCompileAcceptsSchemasAtTheLimits(t *testing.T) {
	for name, schema := range map[string]string{
		"deepest":        nestedSchema(MaxSchemaDepth),
		"deepest value":  nestedValue(MaxSchemaDepth - 1),
		"largest":        `{"type":"object","description":"` + strings.Repeat("x", MaxSchemaBytes-len(`{"type":"object","description":""}`)) + `"}`,
		"deep $defs":     `{"type":"object","$defs":{"a":` + nestedSchema(MaxSchemaDepth-1) + `},"properties":{"a":{"$ref":"#/$defs/a"}}}`,
		"draft-07 tuple": `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"p":{"type":"array","items":[{"type":"number"},{"type":"number"}]}}}`,
	} {
		if _, err := Compile(json.RawMessage(schema)); err != nil {
			t.Errorf("%s: Compile: %v", name, err)
		}
	}
}

// TestExportsRefuseSchemasOverTheLimits checks that the exporters, which may
// be handed a schema Compile never saw, keep the same bounds.
func TestExportsRefuseSchemasOverTheLimits(t *testing.T) {
	raw := json.RawMessage(nestedSchema(2000))
	start := time.Now()
	var nce *NotConvertibleError
	if _, _, err := OpenAIStrict(raw); !errors.As(err, &nce) || !errors.Is(err, ErrSchemaTooDeep) {
		t.Errorf("OpenAIStrict error = %v, want a *NotConvertibleError wrapping ErrSchemaTooDeep", err)
	}
	if _, err := Gemini(raw); !errors.Is(err, ErrSchemaTooDeep) {
		t.Errorf("Gemini error = %v, want ErrSchemaTooDeep", err)
	}
	if err := ValidateOpenAIStrict(raw); err == nil {
		t.Errorf("ValidateOpenAIStrict accepted a schema nested 2,000 levels deep")
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("the exporters took %v to refuse the schema, want well under a second", elapsed)
	}
}

func BenchmarkCompileTooDeep(b *testing.B) {
	raw := json.RawMessage(nestedSchema(2000))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(raw); !errors.Is(err, ErrSchemaTooDeep) {
			b.Fatal(err)
		}
	}
}

package schema

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestStripOptionalNulls(t *testing.T) {
	const s = `{
		"type": "object",
		"properties": {
			"name": {"type": "string"},
			"nick": {"type": "string"},
			"note": {"type": ["string", "null"]},
			"any": {},
			"addr": {"type": "object", "properties": {
				"city": {"type": "string"}, "zip": {"type": "string"}}, "required": ["city"]},
			"items": {"type": "array", "items": {"type": "object", "properties": {
				"id": {"type": "integer"}, "qty": {"type": "integer"}}, "required": ["id"]}},
			"ref": {"$ref": "#/$defs/box"},
			"both": {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}},
				{"properties": {"b": {"type": "integer"}}, "required": ["b"]}]},
			"alt": {"anyOf": [{"type": "object", "properties": {"x": {"type": "string"}}}, {"type": "string"}]}
		},
		"required": ["name"],
		"$defs": {"box": {"type": "object", "properties": {"w": {"type": "number"}, "h": {"type": "number"}}, "required": ["w"]}}
	}`
	tests := []struct {
		name, in, want string
	}{
		{"optional null removed", `{"name":"a","nick":null}`, `{"name":"a"}`},
		{"required null kept", `{"name":null}`, `{"name":null}`},
		{"nullable optional kept", `{"name":"a","note":null}`, `{"name":"a","note":null}`},
		{"untyped optional kept", `{"name":"a","any":null}`, `{"name":"a","any":null}`},
		{"undeclared kept", `{"name":"a","other":null}`, `{"name":"a","other":null}`},
		{"nested object", `{"name":"a","addr":{"city":null,"zip":null}}`, `{"name":"a","addr":{"city":null}}`},
		{"array items", `{"name":"a","items":[{"id":1,"qty":null},{"id":null,"qty":2}]}`, `{"name":"a","items":[{"id":1},{"id":null,"qty":2}]}`},
		{"through ref", `{"name":"a","ref":{"w":null,"h":null}}`, `{"name":"a","ref":{"w":null}}`},
		{"through allOf", `{"name":"a","both":{"a":null,"b":null}}`, `{"name":"a","both":{"b":null}}`},
		{"anyOf not guessed", `{"name":"a","alt":{"x":null}}`, `{"name":"a","alt":{"x":null}}`},
		{"not an object", `[null]`, `[null]`},
	}
	sch := MustCompile([]byte(s))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sch.StripOptionalNulls(decodeArgs(t, tt.in))
			if diff := cmp.Diff(decodeArgs(t, tt.want), got); diff != "" {
				t.Errorf("StripOptionalNulls(%s) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func decodeArgs(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(s)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestStripOptionalNullsProperties reuses the strict-mode property test's
// generator: valid arguments with every absent optional property sent as
// null (as a strict-mode model sends them) must, once stripped, be exactly
// the original arguments again, valid under the original schema.
func TestStripOptionalNullsProperties(t *testing.T) {
	sg := &schemaGen{r: rand.New(rand.NewPCG(20240601, 2))}
	for i := range 300 {
		root, schemaMap := sg.root()
		raw := marshalArgs(t, schemaMap)
		original, err := Compile(raw)
		if err != nil {
			t.Fatalf("case %d: generated schema does not compile: %v\n%s", i, err, raw)
		}
		if _, _, err := OpenAIStrict(raw); err != nil {
			continue // never offered in strict mode
		}
		for range 4 {
			args := root.valid(sg.r)
			want := decodeArgs(t, string(marshalArgs(t, args)))
			filled := decodeArgs(t, string(marshalArgs(t, root.fill(args))))
			got := original.StripOptionalNulls(filled)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("case %d: stripped arguments differ from the original (-want +got):\n%s\nschema: %s", i, diff, raw)
			}
			if r := original.Validate(got); !r.OK() {
				t.Errorf("case %d: stripped arguments %s refused: %v\nschema: %s", i, marshalArgs(t, got), r, raw)
			}
		}
	}
}

package schema

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// voiceCase is one schema and what a voice platform's export must make of
// it: the exported schema, the description note and the paths reported as
// unconverted.
type voiceCase struct {
	name        string
	schema      string
	want        string
	note        string
	unconverted []string
}

func runVoiceCases(t *testing.T, target string, export func(json.RawMessage) (json.RawMessage, string, []*NotConvertibleError), tests []voiceCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, note, unconverted := export(json.RawMessage(tt.schema))
			if diff := cmp.Diff(tt.want, string(out)); diff != "" {
				t.Errorf("exported schema mismatch (-want +got):\n%s", diff)
			}
			if note != tt.note {
				t.Errorf("descriptionNote = %q, want %q", note, tt.note)
			}
			var paths []string
			for _, u := range unconverted {
				if u.Target != target || u.Reason == "" {
					t.Errorf("unconverted %+v, want target %q and a reason", *u, target)
				}
				paths = append(paths, u.Path)
			}
			if diff := cmp.Diff(tt.unconverted, paths); diff != "" {
				t.Errorf("unconverted paths mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestElevenLabs(t *testing.T) {
	runVoiceCases(t, TargetElevenLabs, ElevenLabs, []voiceCase{
		{
			name:   "absent schema",
			schema: ``,
			want:   `{"type":"object","description":"The arguments of the call.","properties":{}}`,
		},
		{
			name:   "every property gets one value source",
			schema: `{"type":"object","description":"Order lookup.","properties":{"order_id":{"type":"string","pattern":"^A-[0-9]+$"},"note":{"title":"Note","type":"string"},"channel":{"const":"voice","description":"Fixed."},"lines":{"type":"array","items":{"type":"integer","minimum":1}}},"required":["order_id"]}`,
			want:   `{"type":"object","description":"Order lookup.","properties":{"order_id":{"type":"string","description":"Constraints: must match the pattern ^A-[0-9]+$."},"note":{"type":"string","description":"Note"},"channel":{"type":"string","constant_value":"voice"},"lines":{"type":"array","description":"The lines.","items":{"type":"integer","description":"Constraints: must be at least 1."}}},"required":["order_id"]}`,
		},
		{
			name:   "items without a description are one of the array",
			schema: `{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","enum":["a","b",null]}}}}`,
			want:   `{"type":"object","description":"The arguments of the call.","properties":{"tags":{"type":"array","description":"The tags.","items":{"type":"string","description":"One of the tags.","enum":["a","b"]}}}}`,
		},
		{
			name:   "required alternatives become required_constraints",
			schema: `{"type":"object","properties":{"phone":{"type":"string"},"email":{"type":"string"}},"oneOf":[{"required":["phone"]},{"required":["email"]}],"dependentRequired":{"email":["phone"]}}`,
			want:   `{"type":"object","description":"The arguments of the call.","properties":{"phone":{"type":"string","description":"The phone."},"email":{"type":"string","description":"The email."}},"required_constraints":{"any_of":[{"required":["phone"]},{"required":["email"]}]}}`,
			note:   "Arguments: when email is given, phone must be given too.",
		},
		{
			name:   "references are inlined and nullable narrowed",
			schema: `{"type":"object","$defs":{"money":{"type":"object","properties":{"amount":{"type":"number"},"currency":{"enum":["USD","EUR"]}},"required":["amount"]}},"properties":{"price":{"$ref":"#/$defs/money","description":"Price."},"discount":{"anyOf":[{"$ref":"#/$defs/money"},{"type":"null"}]},"qty":{"type":["integer","null"]}}}`,
			want:   `{"type":"object","description":"The arguments of the call.","properties":{"price":{"type":"object","description":"Price.","properties":{"amount":{"type":"number","description":"The amount."},"currency":{"type":"string","description":"The currency.","enum":["USD","EUR"]}},"required":["amount"]},"discount":{"type":"object","description":"The discount.","properties":{"amount":{"type":"number","description":"The amount."},"currency":{"type":"string","description":"The currency.","enum":["USD","EUR"]}},"required":["amount"]},"qty":{"type":"integer","description":"The qty."}}}`,
		},
		{
			name:   "a const that is not a literal value is described",
			schema: `{"type":"object","properties":{"n":{"type":"integer","const":3},"none":{"type":"string","const":null},"obj":{"type":"object","properties":{"a":{"type":"string"}},"const":{"a":"x"}}}}`,
			want:   `{"type":"object","description":"The arguments of the call.","properties":{"n":{"type":"integer","constant_value":3},"none":{"type":"string","description":"Constraints: must be null."},"obj":{"type":"object","constant_value":{"a":"x"}}}}`,
		},
		{
			name:        "what cannot be expressed is reported",
			schema:      `{"type":"object","properties":{"any":{},"map":{"type":"object","additionalProperties":{"type":"integer"}},"free":{"type":"object"},"pair":{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}]},"bag":{"type":"array"},"id":{"type":["string","integer"]},"node":{"$ref":"#"}}}`,
			want:        `{"type":"object","description":"The arguments of the call.","properties":{"any":{"type":"string","description":"The any."},"map":{"type":"object","description":"May have members of any name, each an integer.","properties":{}},"free":{"type":"object","description":"The free.","properties":{}},"pair":{"type":"array","description":"Items, in order: a string, an integer.","items":{"type":"string","description":"One of the pair."}},"bag":{"type":"array","description":"The bag.","items":{"type":"string","description":"One of the bag."}},"id":{"type":"string","description":"The id."},"node":{"type":"object","description":"Has the shape of the arguments, nested.","properties":{}}}}`,
			unconverted: []string{"input_schema.properties.any", "input_schema.properties.map.additionalProperties", "input_schema.properties.free", "input_schema.properties.pair.prefixItems", "input_schema.properties.bag", "input_schema.properties.id.type", "input_schema.properties.node.$ref"},
		},
		{
			name:        "alternatives of one type keep it, of several kinds the first",
			schema:      `{"type":"object","properties":{"due":{"anyOf":[{"type":"string","format":"date"},{"type":"string","maxLength":3}]},"ref":{"oneOf":[{"type":"integer"},{"type":"object","properties":{"id":{"type":"string"}}}]}}}`,
			want:        `{"type":"object","description":"The arguments of the call.","properties":{"due":{"type":"string","description":"Constraints: must be a date in YYYY-MM-DD format, e.g. 2024-05-31 or must be at most 3 characters long."},"ref":{"type":"integer","description":"May also be {\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}}."}}}`,
			unconverted: []string{"input_schema.properties.ref.oneOf"},
		},
		{
			name:        "not an object",
			schema:      `[1]`,
			want:        `{"type":"object","description":"The arguments of the call.","properties":{}}`,
			unconverted: []string{"input_schema"},
		},
	})
}

func TestVapi(t *testing.T) {
	runVoiceCases(t, TargetVapi, Vapi, []voiceCase{
		{
			name:   "absent schema",
			schema: `null`,
			want:   `{"type":"object","properties":{}}`,
		},
		{
			name:   "kept keywords and described ones",
			schema: `{"type":"object","title":"Visit","description":"Book a visit.","properties":{"day":{"type":"string","format":"date","title":"Day"},"site":{"type":"string","format":"uri","pattern":"^https://"},"kind":{"const":"onsite"},"slot":{"type":"integer","enum":[9,10,11],"default":9},"party":{"type":"integer","const":2}},"required":["day"],"anyOf":[{"required":["site"]},{"required":["kind"]}]}`,
			want:   `{"type":"object","properties":{"day":{"type":"string","title":"Day","format":"date"},"site":{"type":"string","description":"Constraints: must be an absolute URI, e.g. https://example.com/page.","pattern":"^https://"},"kind":{"type":"string","enum":["onsite"]},"slot":{"type":"integer","description":"Constraints: must be one of 9, 10 or 11. Defaults to 9."},"party":{"type":"integer","description":"Constraints: must be 2."}},"required":["day"]}`,
			note:   "Book a visit. Arguments: must include site or kind.",
		},
		{
			name:   "nested required alternatives are described",
			schema: `{"type":"object","properties":{"contact":{"type":"object","properties":{"phone":{"type":"string"},"email":{"type":"string"}},"anyOf":[{"required":["phone"]},{"required":["email"]}]}}}`,
			want:   `{"type":"object","properties":{"contact":{"type":"object","description":"Constraints: must include phone or email.","properties":{"phone":{"type":"string"},"email":{"type":"string"}}}}}`,
		},
		{
			name:        "recursion is cut once",
			schema:      `{"type":"object","$defs":{"node":{"type":"object","properties":{"next":{"$ref":"#/$defs/node"}}}},"properties":{"head":{"$ref":"#/$defs/node"}}}`,
			want:        `{"type":"object","properties":{"head":{"type":"object","properties":{"next":{"type":"object","description":"Has the shape of node, nested.","properties":{}}}}}}`,
			unconverted: []string{"input_schema.properties.head.properties.next.$ref"},
		},
	})
}

func TestRetell(t *testing.T) {
	runVoiceCases(t, TargetRetell, Retell, []voiceCase{
		{
			name:   "absent schema",
			schema: `{}`,
			want:   `{"type":"object","properties":{}}`,
		},
		{
			name:   "references inlined, definitions dropped, JSON Schema kept",
			schema: `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","$defs":{"id":{"type":"string","format":"uuid"}},"properties":{"a":{"$ref":"#/$defs/id"},"b":{"$ref":"#/$defs/id","description":"B."},"c":{"type":"array","items":{"$ref":"#/$defs/id"},"uniqueItems":true},"d":{"anyOf":[{"$ref":"#/$defs/id"},{"type":"integer","minimum":1}]}},"required":["a"]}`,
			want:   `{"type":"object","properties":{"a":{"type":"string","format":"uuid"},"b":{"description":"B.","type":"string","format":"uuid"},"c":{"type":"array","items":{"type":"string","format":"uuid"},"uniqueItems":true},"d":{"anyOf":[{"type":"string","format":"uuid"},{"type":"integer","minimum":1}]}},"required":["a"]}`,
		},
		{
			name:   "keywords beside a reference that disagree stay in an allOf",
			schema: `{"type":"object","$defs":{"n":{"type":"integer","maximum":9}},"properties":{"n":{"$ref":"#/$defs/n","maximum":5}}}`,
			want:   `{"type":"object","properties":{"n":{"maximum":5,"allOf":[{"type":"integer","maximum":9}]}}}`,
		},
		{
			name:   "root allOf is merged, root constraints become the note",
			schema: `{"type":"object","description":"Create a lead.","allOf":[{"properties":{"phone":{"type":"string"}}},{"properties":{"email":{"type":"string"}}}],"anyOf":[{"required":["phone"]},{"required":["email"]}],"additionalProperties":false}`,
			want:   `{"type":"object","properties":{"phone":{"type":"string"},"email":{"type":"string"}}}`,
			note:   "Create a lead. Arguments: must include phone or email.",
		},
		{
			name:        "what the root cannot carry is reported",
			schema:      `{"type":"object","properties":{"kind":{"type":"string"}},"oneOf":[{"properties":{"kind":{"const":"a"}}},{"properties":{"kind":{"const":"b"}}}],"additionalProperties":{"type":"string"},"required":["kind","missing"]}`,
			want:        `{"type":"object","properties":{"kind":{"type":"string"}},"required":["kind"]}`,
			unconverted: []string{"input_schema.oneOf", "input_schema.additionalProperties", "input_schema.required"},
		},
		{
			name:        "recursion",
			schema:      `{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}}}`,
			want:        `{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"type":"object","description":"Has the shape of the arguments, nested."}}}}`,
			unconverted: []string{"input_schema.properties.children.items.$ref"},
		},
	})
}

func TestVoiceExportsStayBoundedWhenInliningMultiplies(t *testing.T) {
	raw := json.RawMessage(doublingSchema(20)) // 2^20 copies once inlined
	for name, export := range map[string]func(json.RawMessage) (json.RawMessage, string, []*NotConvertibleError){
		"ElevenLabs": ElevenLabs, "Vapi": Vapi, "Retell": Retell,
	} {
		out, _, unconverted := export(raw)
		if len(out) > 4<<20 {
			t.Errorf("%s: export is %d bytes, want it bounded", name, len(out))
		}
		if len(unconverted) == 0 {
			t.Errorf("%s: no unconverted entry for a schema too large to inline", name)
		}
	}
}

package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The property test generates tool schemas together with arguments that are
// valid under them and arguments that break one constraint strict mode keeps.
// For every schema OpenAIStrict converts, the converted schema must keep
// strict mode's rules, accept every valid example (with absent optional
// properties sent as null, as a strict-mode model sends them) and refuse every
// invalid one.

// genSchema is one generated schema and what it knows about its values.
type genSchema interface {
	// schema returns the JSON Schema, ready for json.Marshal.
	schema() map[string]any
	// valid returns a value the schema accepts.
	valid(r *rand.Rand) any
	// invalid returns a value the schema refuses because of a constraint
	// strict mode keeps (type, enum, const, pattern, strict formats,
	// bounds, maxItems, required): never null.
	invalid(r *rand.Rand) any
	// fill returns v with every absent optional property set to null.
	fill(v any) any
}

type genString struct {
	minLen, maxLen int // -1 when absent
	pattern        string
	format         string
}

// genPatterns are patterns with a matching and a non-matching example.
var genPatterns = []struct{ pattern, good, bad string }{
	{`^[A-Z]{3}-[0-9]{2}$`, "ABC-12", "abc-12"},
	{`^\+[1-9][0-9]{6,14}$`, "+14155550123", "4155550123"},
	{`^[a-z]+$`, "hello", "Hello1"},
}

// genFormats are formats with a valid and an invalid example. Those strict
// mode does not keep (uri) have no invalid example.
var genFormats = []struct{ format, good, bad string }{
	{"email", "ada@example.com", "ada-at-example.com"},
	{"date", "2024-05-31", "31/05/2024"},
	{"date-time", "2024-05-31T14:30:00Z", "2024-05-31 14:30"},
	{"uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567"},
	{"uri", "https://example.com/page", ""},
}

func (g genString) schema() map[string]any {
	s := map[string]any{"type": "string"}
	if g.minLen >= 0 {
		s["minLength"] = g.minLen
	}
	if g.maxLen >= 0 {
		s["maxLength"] = g.maxLen
	}
	if g.pattern != "" {
		s["pattern"] = g.pattern
	}
	if g.format != "" {
		s["format"] = g.format
	}
	return s
}

func (g genString) valid(r *rand.Rand) any {
	for _, p := range genPatterns {
		if p.pattern == g.pattern {
			return p.good
		}
	}
	for _, f := range genFormats {
		if f.format == g.format {
			return f.good
		}
	}
	lo, hi := max(g.minLen, 0), g.maxLen
	if hi < 0 {
		hi = lo + 8
	}
	return strings.Repeat("x", lo+r.IntN(hi-lo+1))
}

func (g genString) invalid(r *rand.Rand) any {
	if r.IntN(2) == 0 {
		for _, p := range genPatterns {
			if p.pattern == g.pattern {
				return p.bad
			}
		}
		for _, f := range genFormats {
			if f.format == g.format && f.bad != "" {
				return f.bad
			}
		}
	}
	return 42
}

func (g genString) fill(v any) any { return v }

type genInteger struct {
	min, max int
	bounded  bool
}

func (g genInteger) schema() map[string]any {
	s := map[string]any{"type": "integer"}
	if g.bounded {
		s["minimum"] = g.min
		s["maximum"] = g.max
	}
	return s
}

func (g genInteger) valid(r *rand.Rand) any {
	if !g.bounded {
		return r.IntN(1000) - 500
	}
	return g.min + r.IntN(g.max-g.min+1)
}

func (g genInteger) invalid(r *rand.Rand) any {
	switch {
	case g.bounded && r.IntN(3) == 0:
		return g.min - 1
	case g.bounded && r.IntN(2) == 0:
		return g.max + 1
	case r.IntN(2) == 0:
		return 1.5
	}
	return "seven"
}

func (g genInteger) fill(v any) any { return v }

type genNumber struct{}

func (genNumber) schema() map[string]any {
	return map[string]any{"type": "number", "minimum": 0, "maximum": 10, "multipleOf": 0.5}
}
func (genNumber) valid(r *rand.Rand) any { return float64(r.IntN(21)) / 2 }
func (genNumber) invalid(r *rand.Rand) any {
	return []any{10.5, -0.5, 0.25, "1"}[r.IntN(4)]
}
func (genNumber) fill(v any) any { return v }

type genBoolean struct{ withDefault bool }

func (g genBoolean) schema() map[string]any {
	s := map[string]any{"type": "boolean"}
	if g.withDefault {
		s["default"] = false
	}
	return s
}
func (genBoolean) valid(r *rand.Rand) any   { return r.IntN(2) == 0 }
func (genBoolean) invalid(r *rand.Rand) any { return "yes" }
func (genBoolean) fill(v any) any           { return v }

type genEnum struct {
	values []string
	typed  bool
}

func (g genEnum) schema() map[string]any {
	values := make([]any, len(g.values))
	for i, v := range g.values {
		values[i] = v
	}
	s := map[string]any{"enum": values}
	if g.typed {
		s["type"] = "string"
	}
	return s
}
func (g genEnum) valid(r *rand.Rand) any   { return g.values[r.IntN(len(g.values))] }
func (g genEnum) invalid(r *rand.Rand) any { return "not-one-of-them" }
func (g genEnum) fill(v any) any           { return v }

type genConst struct{ value string }

func (g genConst) schema() map[string]any   { return map[string]any{"const": g.value} }
func (g genConst) valid(r *rand.Rand) any   { return g.value }
func (g genConst) invalid(r *rand.Rand) any { return g.value + "-not" }
func (g genConst) fill(v any) any           { return v }

type genArray struct {
	items              genSchema
	minItems, maxItems int
	unique             bool
}

func (g genArray) schema() map[string]any {
	s := map[string]any{"type": "array", "items": g.items.schema(), "minItems": g.minItems, "maxItems": g.maxItems}
	if g.unique {
		s["uniqueItems"] = true
	}
	return s
}

func (g genArray) valid(r *rand.Rand) any {
	n := g.minItems + r.IntN(g.maxItems-g.minItems+1)
	items := make([]any, n)
	for i := range items {
		items[i] = g.items.valid(r)
	}
	return items
}

func (g genArray) invalid(r *rand.Rand) any {
	switch r.IntN(3) {
	case 0:
		items := make([]any, g.maxItems+1)
		for i := range items {
			items[i] = g.items.valid(r)
		}
		return items
	case 1:
		return []any{g.items.invalid(r)}
	}
	return "not a list"
}

func (g genArray) fill(v any) any {
	items, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, len(items))
	for i, item := range items {
		out[i] = g.items.fill(item)
	}
	return out
}

type genProp struct {
	name     string
	schema   genSchema
	required bool
}

type genObject struct {
	props []genProp
	// closed sets additionalProperties false; asAllOf splits the
	// properties over two allOf parts; oneOfOptional names two optional
	// properties of which at least one must be given (an anyOf of
	// required lists).
	closed, asAllOf bool
	oneOfOptional   []string
}

func (g genObject) schema() map[string]any {
	props := map[string]any{}
	var required []any
	for _, p := range g.props {
		props[p.name] = p.schema.schema()
		if p.required {
			required = append(required, p.name)
		}
	}
	s := map[string]any{"type": "object"}
	body := map[string]any{"properties": props}
	if required != nil {
		body["required"] = required
	}
	if g.asAllOf && len(g.props) > 1 {
		first, second := map[string]any{}, map[string]any{}
		for i, p := range g.props {
			if i%2 == 0 {
				first[p.name] = props[p.name]
			} else {
				second[p.name] = props[p.name]
			}
		}
		s["allOf"] = []any{map[string]any{"properties": first}, map[string]any{"properties": second}}
		if required != nil {
			s["required"] = required
		}
	} else {
		for k, v := range body {
			s[k] = v
		}
	}
	if g.closed && !g.asAllOf {
		s["additionalProperties"] = false
	}
	if len(g.oneOfOptional) == 2 {
		s["anyOf"] = []any{
			map[string]any{"required": []any{g.oneOfOptional[0]}},
			map[string]any{"required": []any{g.oneOfOptional[1]}},
		}
	}
	return s
}

func (g genObject) valid(r *rand.Rand) any {
	obj := map[string]any{}
	for _, p := range g.props {
		if p.required || r.IntN(2) == 0 {
			obj[p.name] = p.schema.valid(r)
		}
	}
	if len(g.oneOfOptional) == 2 {
		name := g.oneOfOptional[r.IntN(2)]
		if _, ok := obj[name]; !ok {
			for _, p := range g.props {
				if p.name == name {
					obj[name] = p.schema.valid(r)
				}
			}
		}
	}
	return obj
}

func (g genObject) invalid(r *rand.Rand) any {
	if len(g.props) == 0 || r.IntN(8) == 0 {
		return "not an object"
	}
	obj := g.valid(r).(map[string]any)
	p := g.props[r.IntN(len(g.props))]
	if p.required && r.IntN(3) == 0 {
		delete(obj, p.name)
		return obj
	}
	obj[p.name] = p.schema.invalid(r)
	return obj
}

func (g genObject) fill(v any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for _, p := range g.props {
		value, present := obj[p.name]
		switch {
		case present:
			out[p.name] = p.schema.fill(value)
		case !p.required:
			out[p.name] = nil
		}
	}
	return out
}

// genAlternatives is an anyOf (or oneOf) of a string and an integer.
type genAlternatives struct {
	keyword string
	str     genString
	integer genInteger
}

func (g genAlternatives) schema() map[string]any {
	return map[string]any{g.keyword: []any{g.str.schema(), g.integer.schema()}}
}

func (g genAlternatives) valid(r *rand.Rand) any {
	if r.IntN(2) == 0 {
		return g.str.valid(r)
	}
	return g.integer.valid(r)
}

func (g genAlternatives) invalid(r *rand.Rand) any { return true }
func (g genAlternatives) fill(v any) any           { return v }

// genRef refers to a definition under $defs.
type genRef struct {
	name   string
	target genSchema
}

func (g genRef) schema() map[string]any     { return map[string]any{"$ref": "#/$defs/" + g.name} }
func (g genRef) valid(r *rand.Rand) any     { return g.target.valid(r) }
func (g genRef) invalid(r *rand.Rand) any   { return g.target.invalid(r) }
func (g genRef) fill(v any) any             { return g.target.fill(v) }
func (g genRef) definition() map[string]any { return g.target.schema() }

// schemaGen generates schemas from a seeded source.
type schemaGen struct {
	r    *rand.Rand
	defs map[string]genSchema
	n    int
}

func (sg *schemaGen) root() (genObject, map[string]any) {
	sg.defs = map[string]genSchema{}
	root := sg.object(0)
	s := root.schema()
	if len(sg.defs) > 0 {
		defs := map[string]any{}
		for name, d := range sg.defs {
			defs[name] = d.schema()
		}
		s["$defs"] = defs
	}
	return root, s
}

func (sg *schemaGen) name(prefix string) string {
	sg.n++
	return fmt.Sprintf("%s%d", prefix, sg.n)
}

func (sg *schemaGen) object(depth int) genObject {
	r := sg.r
	g := genObject{closed: r.IntN(2) == 0, asAllOf: r.IntN(8) == 0}
	for range 1 + r.IntN(4) {
		g.props = append(g.props, genProp{name: sg.name("p"), schema: sg.value(depth + 1), required: r.IntN(2) == 0})
	}
	var optional []string
	for _, p := range g.props {
		if !p.required {
			optional = append(optional, p.name)
		}
	}
	if len(optional) >= 2 && r.IntN(4) == 0 {
		g.oneOfOptional = optional[:2]
	}
	return g
}

func (sg *schemaGen) value(depth int) genSchema {
	r := sg.r
	limit := 11
	if depth >= 3 {
		limit = 7 // scalars only
	}
	switch r.IntN(limit) {
	case 0:
		return sg.str()
	case 1:
		if r.IntN(2) == 0 {
			return genInteger{}
		}
		lo := r.IntN(10)
		return genInteger{min: lo, max: lo + r.IntN(100), bounded: true}
	case 2:
		return genNumber{}
	case 3:
		return genBoolean{withDefault: r.IntN(3) == 0}
	case 4:
		return genEnum{values: []string{"red", "green", "blue"}[:1+r.IntN(3)], typed: r.IntN(2) == 0}
	case 5:
		return genConst{value: "fixed"}
	case 6:
		keyword := "anyOf"
		if r.IntN(2) == 0 {
			keyword = "oneOf"
		}
		return genAlternatives{keyword: keyword, str: genString{minLen: -1, maxLen: -1}, integer: genInteger{}}
	case 7, 8:
		return sg.object(depth)
	case 9:
		maxItems := 1 + r.IntN(4)
		unique := r.IntN(4) == 0
		if unique {
			maxItems = 1
		}
		return genArray{items: sg.value(depth + 1), minItems: r.IntN(maxItems + 1), maxItems: maxItems, unique: unique}
	default:
		name := sg.name("def")
		target := sg.value(depth + 1)
		if _, isRef := target.(genRef); isRef {
			return target
		}
		sg.defs[name] = target
		return genRef{name: name, target: target}
	}
}

func (sg *schemaGen) str() genString {
	r := sg.r
	g := genString{minLen: -1, maxLen: -1}
	switch r.IntN(4) {
	case 0:
		g.pattern = genPatterns[r.IntN(len(genPatterns))].pattern
	case 1:
		g.format = genFormats[r.IntN(len(genFormats))].format
	case 2:
		g.minLen = r.IntN(4)
		g.maxLen = g.minLen + r.IntN(10)
	}
	return g
}

// marshalArgs renders arguments as JSON for ValidateJSON.
func marshalArgs(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenAIStrictProperties(t *testing.T) {
	const cases = 300
	sg := &schemaGen{r: rand.New(rand.NewPCG(20240531, 1))}
	converted := 0
	for i := range cases {
		root, schemaMap := sg.root()
		raw := marshalArgs(t, schemaMap)
		original, err := Compile(raw)
		if err != nil {
			t.Fatalf("case %d: generated schema does not compile: %v\n%s", i, err, raw)
		}
		out, _, err := OpenAIStrict(raw)
		if err != nil {
			var nce *NotConvertibleError
			if !errors.As(err, &nce) {
				t.Fatalf("case %d: OpenAIStrict error %T %v, want *NotConvertibleError", i, err, err)
			}
			continue
		}
		converted++
		if err := ValidateOpenAIStrict(out); err != nil {
			t.Fatalf("case %d: ValidateOpenAIStrict(OpenAIStrict(schema)) = %v\nschema: %s\nconverted: %s", i, err, raw, out)
		}
		strict, err := Compile(out)
		if err != nil {
			t.Fatalf("case %d: converted schema does not compile: %v\n%s", i, err, out)
		}
		for range 4 {
			args := root.valid(sg.r)
			if r, _, _ := original.ValidateJSON(marshalArgs(t, args)); !r.OK() {
				t.Fatalf("case %d: generator bug: valid example %s refused by the original: %v\nschema: %s", i, marshalArgs(t, args), r, raw)
			}
			filled := marshalArgs(t, root.fill(args))
			if r, _, _ := strict.ValidateJSON(filled); !r.OK() {
				t.Errorf("case %d: converted schema refuses valid arguments %s: %v\nschema: %s\nconverted: %s", i, filled, r, raw, out)
			}

			bad := root.invalid(sg.r)
			if r, _, _ := original.ValidateJSON(marshalArgs(t, bad)); r.OK() {
				t.Fatalf("case %d: generator bug: invalid example %s accepted by the original\nschema: %s", i, marshalArgs(t, bad), raw)
			}
			filledBad := marshalArgs(t, root.fill(bad))
			if r, _, _ := strict.ValidateJSON(filledBad); r.OK() {
				t.Errorf("case %d: converted schema accepts invalid arguments %s\nschema: %s\nconverted: %s", i, filledBad, raw, out)
			}
		}
	}
	if converted < cases*3/4 {
		t.Errorf("only %d of %d generated schemas converted; the generator should mostly make convertible schemas", converted, cases)
	}
	t.Logf("%d of %d generated schemas converted", converted, cases)
}

// TestAnthropicStrictProperties checks AnthropicStrict on the same generated
// schemas: every converted schema keeps strict tool use's rules and accepts
// every valid example as it is (optional properties stay optional there).
// Invalid examples are not checked: strict tool use keeps fewer constraints
// (no bounds, no maxItems), which the gateway still enforces.
func TestAnthropicStrictProperties(t *testing.T) {
	const cases = 300
	sg := &schemaGen{r: rand.New(rand.NewPCG(20240531, 2))}
	converted := 0
	for i := range cases {
		root, schemaMap := sg.root()
		raw := marshalArgs(t, schemaMap)
		out, _, err := AnthropicStrict(raw)
		if err != nil {
			var nce *NotConvertibleError
			if !errors.As(err, &nce) {
				t.Fatalf("case %d: AnthropicStrict error %T %v, want *NotConvertibleError", i, err, err)
			}
			continue
		}
		converted++
		if err := ValidateAnthropicStrict(out); err != nil {
			t.Fatalf("case %d: ValidateAnthropicStrict(AnthropicStrict(schema)) = %v\nschema: %s\nconverted: %s", i, err, raw, out)
		}
		strict, err := Compile(out)
		if err != nil {
			t.Fatalf("case %d: converted schema does not compile: %v\n%s", i, err, out)
		}
		for range 4 {
			args := marshalArgs(t, root.valid(sg.r))
			if r, _, _ := strict.ValidateJSON(args); !r.OK() {
				t.Errorf("case %d: converted schema refuses valid arguments %s: %v\nschema: %s\nconverted: %s", i, args, r, raw, out)
			}
		}
	}
	if converted < cases/2 {
		t.Errorf("only %d of %d generated schemas converted", converted, cases)
	}
	t.Logf("%d of %d generated schemas converted", converted, cases)
}

package apidoc_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/gateway/apidoc"
	"github.com/toolgate/toolgate/gateway/chat"
)

var update = flag.Bool("update", false, "rewrite the generated tables of docs/reference.md from the schemas")

const referencePath = "../../docs/reference.md"

// schemaMarker introduces a generated table: the object and the JSON
// pointer of the schema node the table lists ("" for the object itself).
var schemaMarker = regexp.MustCompile(`^<!-- schema: (\w+) ?(\S*) -->$`)

// TestReference checks every field table of docs/reference.md against the
// generated schemas: the fields, their types, defaults (or "required"),
// bounds and descriptions. Every object, and every object type it holds,
// has its table. go test ./gateway/apidoc -run TestReference -update
// rewrites the tables.
func TestReference(t *testing.T) {
	data, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out []string
	documented := map[string]bool{}
	for i := 0; i < len(lines); i++ {
		out = append(out, lines[i])
		m := schemaMarker.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		object, pointer := m[1], m[2]
		raw, ok := apidoc.Schema(object)
		if !ok {
			t.Errorf("line %d: no object %s", i+1, object)
			continue
		}
		root, err := decodeOrdered(raw)
		if err != nil {
			t.Fatal(err)
		}
		node, ok := lookup(root, pointer)
		if !ok {
			t.Errorf("line %d: %s has no %s", i+1, object, pointer)
			continue
		}
		documented[object+" "+pointer] = true
		want := fieldTable(node)
		j := i + 1
		var got []string
		for j < len(lines) && strings.HasPrefix(lines[j], "|") {
			got = append(got, lines[j])
			j++
		}
		if !*update {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("docs/reference.md line %d, the table of %s %s differs from the schema (-schema +doc); run go test ./gateway/apidoc -run TestReference -update:\n%s", i+1, object, pointer, diff)
			}
		}
		out = append(out, want...)
		i = j - 1
	}
	for _, object := range apidoc.Objects {
		raw, _ := apidoc.Schema(object)
		root, _ := decodeOrdered(raw)
		for _, pointer := range objectNodes(root) {
			if !documented[object+" "+pointer] {
				t.Errorf("docs/reference.md has no table of %s %s: add <!-- schema: %s %s --> where it belongs", object, pointer, object, pointer)
			}
		}
	}
	checkModelTable(t, string(data))
	if *update {
		if err := os.WriteFile(referencePath, []byte(strings.Join(out, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// objectNodes are the pointers of an object's schema nodes that hold
// fields: the root, each $defs entry, and the items of arrays of inline
// objects.
func objectNodes(root map[string]any) []string {
	out := []string{""}
	defs, _ := root["$defs"].(map[string]any)
	for _, name := range sortedKeys(defs) {
		if def, _ := defs[name].(map[string]any); def["properties"] != nil {
			out = append(out, "/$defs/"+name)
		}
	}
	var walk func(node map[string]any, pointer string)
	walk = func(node map[string]any, pointer string) {
		props, _ := node["properties"].(map[string]any)
		for _, name := range sortedKeys(props) {
			p, _ := props[name].(map[string]any)
			if items, ok := p["items"].(map[string]any); ok && items["properties"] != nil {
				out = append(out, pointer+"/properties/"+name+"/items")
			}
		}
	}
	walk(root, "")
	for _, name := range sortedKeys(defs) {
		walk(defs[name].(map[string]any), "/$defs/"+name)
	}
	return out
}

// propertyOrder returns a node's property names in the order the schema
// writes them, which encoding/json's maps forget: keys are read from the
// schema text in order.
func propertyOrder(node map[string]any) []string {
	order, _ := node[orderKey].([]string)
	return order
}

// orderKey holds, in each decoded object, its properties' names in order.
const orderKey = "\x00properties-order"

// decodeOrdered decodes a schema into maps, recording in every object that
// has properties their order under orderKey.
func decodeOrdered(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		m := map[string]any{}
		var keys []string
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			m[k.(string)] = v
			keys = append(keys, k.(string))
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		if props, ok := m["properties"].(map[string]any); ok {
			m[orderKey] = props["\x00keys"]
			delete(props, "\x00keys")
		}
		m["\x00keys"] = keys
		return m, nil
	case json.Delim('['):
		var a []any
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	if n, ok := tok.(json.Number); ok {
		f, _ := n.Float64()
		return f, nil
	}
	return tok, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if !strings.HasPrefix(k, "\x00") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func lookup(root map[string]any, pointer string) (map[string]any, bool) {
	cur := root
	if pointer == "" {
		return cur, true
	}
	for _, key := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		next, ok := cur[key].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

// fieldTable renders the table of a schema node's properties, in the
// order the schema lists them ($schema and kind aside: the introduction
// covers them).
func fieldTable(node map[string]any) []string {
	rows := []string{"| Field | Type | Default | Bounds | Description |", "|---|---|---|---|---|"}
	required, _ := node["required"].([]any)
	for _, name := range propertyOrder(node) { // the struct's order
		if name == "$schema" || name == "kind" {
			continue
		}
		p := node["properties"].(map[string]any)[name].(map[string]any)
		def := ""
		switch {
		case slices.Contains(required, any(name)):
			def = "required"
		case p["default"] != nil:
			def = "`" + jsonText(p["default"]) + "`"
		}
		desc, _ := p["description"].(string)
		rows = append(rows, "| `"+name+"` | "+cell(typeText(p))+" | "+def+" | "+cell(boundsText(p))+" | "+cell(desc)+" |")
	}
	return rows
}

func typeText(p map[string]any) string {
	if _, ok := p["$ref"]; ok {
		return "object"
	}
	if anyOf, ok := p["anyOf"].([]any); ok {
		var parts []string
		for _, a := range anyOf {
			parts = append(parts, typeText(a.(map[string]any)))
		}
		return strings.Join(parts, " or ")
	}
	switch t, _ := p["type"].(string); t {
	case "":
		return "any JSON"
	case "array":
		items, _ := p["items"].(map[string]any)
		return "array of " + typeText(items)
	case "object":
		if ap, ok := p["additionalProperties"].(map[string]any); ok {
			return "map of " + typeText(ap)
		}
		return "object"
	case "string":
		if f, ok := p["format"].(string); ok {
			return "string (" + f + ")"
		}
		return "string"
	default:
		return t
	}
}

func boundsText(p map[string]any) string {
	var parts []string
	if enum, ok := p["enum"].([]any); ok {
		var vs []string
		for _, v := range enum {
			vs = append(vs, "`"+jsonText(v)+"`")
		}
		parts = append(parts, "one of "+strings.Join(vs, ", "))
	}
	parts = append(parts, rangeText(p["minimum"], p["maximum"], ""))
	parts = append(parts, rangeText(p["minLength"], p["maxLength"], "length "))
	if pat, ok := p["pattern"].(string); ok {
		parts = append(parts, "`"+pat+"`")
	}
	if pn, ok := p["propertyNames"].(map[string]any); ok {
		parts = append(parts, "keys `"+pn["pattern"].(string)+"`")
	}
	if items, ok := p["items"].(map[string]any); ok && items["properties"] == nil {
		if b := boundsText(items); b != "" {
			parts = append(parts, "items "+b)
		}
	}
	parts = slices.DeleteFunc(parts, func(s string) bool { return s == "" })
	return strings.Join(parts, "; ")
}

func rangeText(lo, hi any, prefix string) string {
	switch {
	case lo != nil && hi != nil:
		return prefix + jsonText(lo) + " to " + jsonText(hi)
	case lo != nil:
		return prefix + "≥ " + jsonText(lo)
	case hi != nil:
		return prefix + "≤ " + jsonText(hi)
	}
	return ""
}

func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	data, _ := json.Marshal(v)
	return string(data)
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// checkModelTable checks the agent's model settings, which the chat runner
// reads from the free-form model object.
func checkModelTable(t *testing.T, doc string) {
	t.Helper()
	want := fmt.Sprintf("| `max_steps` | integer | `%d` | 1 to %d |", chat.MaxStepsDefault, chat.MaxStepsMax)
	if !strings.Contains(doc, want) {
		t.Errorf("docs/reference.md: the model settings' max_steps row must start %q", want)
	}
}

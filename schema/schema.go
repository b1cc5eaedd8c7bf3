package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// RootPath is the name given to the top of a tool's schema in compile errors,
// so that a reported path reads like the field of the tool definition it
// points at: input_schema.properties.age.type.
const RootPath = "input_schema"

// schemaURL is the made-up location the compiled schema lives at. A relative
// $ref resolves against it and so can only name something the loader refuses.
const (
	baseURL   = "https://toolgate.invalid/"
	schemaURL = baseURL + "input_schema.json"
)

// emptyObject is the schema used when a tool declares none: any object.
var emptyObject = json.RawMessage(`{"type":"object"}`)

// Schema is a compiled tool input schema. It is immutable and safe for
// concurrent use by any number of goroutines.
type Schema struct {
	compiled *jsonschema.Schema
	raw      json.RawMessage
	props    []string
	required []string
}

// Compile checks and compiles the JSON Schema of a tool's arguments.
//
// An absent schema (empty, null or {}) means "any object" and is compiled as
// {"type":"object"}. Any other schema must have "type": "object" at its root,
// because tool arguments are always a JSON object. The default draft is
// 2020-12; formats are asserted; $ref may only point inside the schema. A
// schema longer than [MaxSchemaBytes] or nested deeper than [MaxSchemaDepth]
// is refused before it is compiled.
//
// Every error is a [*CompileError] naming the location of the problem.
func Compile(raw json.RawMessage) (*Schema, error) { return compile(raw, true) }

// CompileResult checks and compiles a JSON Schema of a result (a tool's
// output schema), which may describe any JSON value; otherwise it is
// checked as Compile checks arguments' schemas.
func CompileResult(raw json.RawMessage) (*Schema, error) { return compile(raw, false) }

func compile(raw json.RawMessage, arguments bool) (*Schema, error) {
	if err := checkLimits(raw); err != nil {
		return nil, err
	}
	raw, err := normalize(raw)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, &CompileError{Path: RootPath, Message: "is not valid JSON: " + err.Error()}
	}
	if arguments {
		if err := checkRoot(doc); err != nil {
			return nil, err
		}
	} else if _, ok := doc.(map[string]any); !ok {
		return nil, &CompileError{Path: RootPath, Message: `must be a JSON Schema object such as {"type":"object","properties":{...}}`}
	}

	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(refusingLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, &CompileError{Path: RootPath, Message: err.Error()}
	}
	compiled, err := c.Compile(schemaURL)
	if err != nil {
		return nil, compileError(doc, err)
	}

	props, required, err := topLevel(raw)
	if err != nil {
		return nil, err
	}
	return &Schema{compiled: compiled, raw: raw, props: props, required: required}, nil
}

// MustCompile is like [Compile] but panics on error. It is meant for schemas
// written in Go source, such as those of built-in tools and tests.
func MustCompile(raw json.RawMessage) *Schema {
	s, err := Compile(raw)
	if err != nil {
		panic(fmt.Sprintf("schema: MustCompile: %v", err))
	}
	return s
}

// normalize returns the compact form of raw, or {"type":"object"} when raw
// declares no schema at all.
func normalize(raw json.RawMessage) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	switch string(trimmed) {
	case "", "null", "{}":
		return slices.Clone(emptyObject), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return nil, &CompileError{Path: RootPath, Message: "is not valid JSON: " + err.Error()}
	}
	if buf.String() == "{}" {
		return slices.Clone(emptyObject), nil
	}
	return buf.Bytes(), nil
}

// checkRoot refuses a schema whose root does not describe a JSON object.
func checkRoot(doc any) error {
	obj, ok := doc.(map[string]any)
	if !ok {
		return &CompileError{Path: RootPath, Message: `must be a JSON object such as {"type":"object","properties":{...}}`}
	}
	typ, ok := obj["type"]
	if !ok {
		return &CompileError{Path: RootPath + ".type", Message: `is missing: the root schema must declare "type": "object", because tool arguments are always a JSON object`}
	}
	if typ != "object" {
		return &CompileError{Path: RootPath + ".type", Message: fmt.Sprintf(`must be "object", not %s: tool arguments are always a JSON object`, compactJSON(typ))}
	}
	return nil
}

// topLevel reads the root's property names and required list, both in the
// order the schema declares them.
func topLevel(raw json.RawMessage) (props, required []string, err error) {
	var root struct {
		Properties orderedKeys `json:"properties"`
		Required   []string    `json:"required"`
	}
	if err := json.Unmarshal(raw, &root); err != nil {
		// The compiler accepted the schema, so this cannot happen for
		// well-formed input; report it rather than panic.
		return nil, nil, &CompileError{Path: RootPath, Message: err.Error()}
	}
	return root.Properties, root.Required, nil
}

// orderedKeys decodes the keys of a JSON object in document order.
type orderedKeys []string

// UnmarshalJSON implements [json.Unmarshaler].
func (k *orderedKeys) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errors.New("properties must be an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		*k = append(*k, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return nil
}

// Properties returns the names of the top-level properties, in the order the
// schema declares them. The slice is the caller's to keep.
func (s *Schema) Properties() []string { return slices.Clone(s.props) }

// Required returns the names of the required top-level properties, in the
// order the schema declares them. The slice is the caller's to keep.
func (s *Schema) Required() []string { return slices.Clone(s.required) }

// Optional reports whether name is a declared top-level property that the
// schema does not require. Templates use it to drop an absent optional value
// instead of failing the call.
func (s *Schema) Optional(name string) bool {
	return slices.Contains(s.props, name) && !slices.Contains(s.required, name)
}

// Raw returns the schema as compiled: the original JSON, compacted, or
// {"type":"object"} when the tool declared none. The slice is the caller's to
// keep.
func (s *Schema) Raw() json.RawMessage { return slices.Clone(s.raw) }

// refusingLoader is the compiler's URL loader: it loads nothing, so a schema
// cannot make the gateway read files or reach the network.
type refusingLoader struct{}

// Load implements [jsonschema.URLLoader].
func (refusingLoader) Load(url string) (any, error) {
	return nil, errRemoteRef
}

var errRemoteRef = errors.New("remote references are not allowed")

// compactJSON renders a decoded JSON value for a message.
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

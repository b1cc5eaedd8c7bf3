package openapi

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Bounds of one generated schema. A schema past them is cut: the parts
// beyond are {} (any value), and the tool says so in a warning.
const (
	// schemaMaxDepth bounds the nesting of schemas inlined into one another.
	schemaMaxDepth = 32
	// schemaMaxNodes bounds the schemas written for one tool schema. An
	// inlined schema past it is written again with $defs.
	schemaMaxNodes = 4000
	// schemaDescriptionMax bounds a description inside a schema.
	schemaDescriptionMax = 1024
	// exampleMaxBytes bounds an example kept in a schema.
	exampleMaxBytes = 256
)

// schemaMode says which of readOnly and writeOnly properties a schema
// leaves out.
type schemaMode int

const (
	// forRequest leaves out readOnly properties: a client never sends them.
	forRequest schemaMode = iota
	// forResponse leaves out writeOnly properties: a server never returns them.
	forResponse
)

// schemaConverter writes OpenAPI schemas (3.0, 3.1, or 2.0 converted) as
// JSON Schema 2020-12:
//   - 3.0 nullable becomes a type array with "null" (or null in the enum, or
//     an anyOf with {"type": "null"});
//   - a 3.0 boolean exclusiveMinimum/Maximum becomes the 2020-12 number;
//   - example becomes examples; oneOf becomes anyOf (OpenAPI documents often
//     give oneOf branches that overlap, which 2020-12 would refuse);
//   - OpenAPI-only keywords (discriminator, xml, externalDocs, x-*) go;
//   - readOnly (request) or writeOnly (response) properties are left out;
//   - a pattern Go's regexp cannot compile is left out with a warning.
//
// Local $refs are inlined, except a schema that contains itself, which goes
// to $defs once and is referenced from there. With useDefs every schema
// named by a $ref goes to $defs, which keeps a schema that inlines to
// something huge linear in the number of components.
type schemaConverter struct {
	nullableKeyword bool
	mode            schemaMode
	rootPath        string // "input_schema" or "output_schema", for warnings
	useDefs         bool
	components      openapi3.Schemas

	defs     map[*openapi3.Schema]*schemaDef
	defNames map[string]bool
	pending  []*schemaDef
	done     []*schemaDef
	stack    []*openapi3.Schema

	nodes     int
	truncated bool
	// unresolved says why a schema could not be read: a $ref not followed.
	unresolved string
	warnings   []FieldWarning
}

// schemaDef is one entry of $defs.
type schemaDef struct {
	name   string
	schema *openapi3.Schema
	out    any
}

func newSchemaConverter(doc *Document, mode schemaMode, useDefs bool) *schemaConverter {
	c := &schemaConverter{
		nullableKeyword: doc.nullableKeyword(),
		mode:            mode,
		rootPath:        "input_schema",
		useDefs:         useDefs,
		defs:            map[*openapi3.Schema]*schemaDef{},
		defNames:        map[string]bool{},
	}
	if mode == forResponse {
		c.rootPath = "output_schema"
	}
	if doc.doc.Components != nil {
		c.components = doc.doc.Components.Schemas
	}
	return c
}

func (c *schemaConverter) warn(path, format string, args ...any) {
	c.warnings = append(c.warnings, FieldWarning{Path: path, Message: fmt.Sprintf(format, args...)})
}

// overBudget reports whether the schema grew past its bounds.
func (c *schemaConverter) overBudget() bool { return c.nodes > schemaMaxNodes }

// convert returns the JSON Schema of ref at path (a dotted path such as
// input_schema.properties.pet, for warnings).
func (c *schemaConverter) convert(ref *openapi3.SchemaRef, path string) any {
	if ref == nil {
		return newObject()
	}
	s := ref.Value
	if r := unresolvedRef(ref.Extensions); r != "" {
		c.unresolve(unresolvedReason(r))
		return newObject()
	}
	if s == nil {
		c.unresolve(cyclicReason(ref.Ref))
		return newObject()
	}
	if r := unresolvedRef(s.Extensions); r != "" {
		c.unresolve(unresolvedReason(r))
		return newObject()
	}
	if slices.Contains(c.stack, s) || (c.useDefs && c.pureComponentRef(ref)) {
		return c.refTo(s, ref.Ref)
	}
	if len(c.stack) >= schemaMaxDepth || c.overBudget() {
		c.truncated = true
		return newObject()
	}
	c.stack = append(c.stack, s)
	out := c.body(s, path)
	c.stack = c.stack[:len(c.stack)-1]
	return out
}

// root converts the schema at the root of a tool schema: always written in
// place, never as a $ref.
func (c *schemaConverter) root(ref *openapi3.SchemaRef, path string) any {
	if ref == nil || ref.Value == nil || unresolvedRef(ref.Extensions) != "" || unresolvedRef(ref.Value.Extensions) != "" {
		return c.convert(ref, path)
	}
	c.stack = append(c.stack, ref.Value)
	out := c.body(ref.Value, path)
	c.stack = c.stack[:len(c.stack)-1]
	return out
}

// unresolve records why a schema could not be read (the first reason).
func (c *schemaConverter) unresolve(reason string) {
	if c.unresolved == "" {
		c.unresolved = reason
	}
}

// pureComponentRef reports whether ref names a component schema as it is
// (an OpenAPI 3.1 $ref with sibling keywords resolves to a merged copy,
// which is inlined instead).
func (c *schemaConverter) pureComponentRef(ref *openapi3.SchemaRef) bool {
	name, ok := strings.CutPrefix(ref.Ref, "#/components/schemas/")
	if !ok || strings.Contains(name, "/") {
		return false
	}
	comp := c.components[unescapeToken(name)]
	return comp != nil && comp.Value == ref.Value
}

// refTo returns {"$ref": "#/$defs/name"} for s, adding s to $defs.
func (c *schemaConverter) refTo(s *openapi3.Schema, ref string) any {
	d := c.defs[s]
	if d == nil {
		d = &schemaDef{name: c.defName(ref), schema: s}
		c.defs[s] = d
		c.pending = append(c.pending, d)
	}
	o := newObject()
	o.set("$ref", "#/$defs/"+d.name)
	return o
}

var defNameInvalid = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// defName makes a unique $defs name from the last token of ref.
func (c *schemaConverter) defName(ref string) string {
	base := ref
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	base = defNameInvalid.ReplaceAllString(unescapeToken(base), "_")
	if base == "" {
		base = "schema"
	}
	name := base
	for i := 2; c.defNames[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	c.defNames[name] = true
	return name
}

// finishDefs converts the schemas queued for $defs (which may queue more)
// and returns the $defs object, or nil when there are none.
func (c *schemaConverter) finishDefs() *object {
	for len(c.pending) > 0 {
		d := c.pending[0]
		c.pending = c.pending[1:]
		c.stack = append(c.stack[:0], d.schema)
		d.out = c.body(d.schema, c.rootPath+".$defs."+d.name)
		c.stack = c.stack[:0]
		c.done = append(c.done, d)
	}
	if len(c.done) == 0 {
		return nil
	}
	defs := newObject()
	for _, d := range c.done {
		defs.set(d.name, d.out)
	}
	return defs
}

var validTypes = []string{"string", "number", "integer", "boolean", "array", "object", "null"}

// body writes the keywords of s.
func (c *schemaConverter) body(s *openapi3.Schema, path string) any {
	if s.Always != nil {
		return *s.Always
	}
	c.nodes++
	if c.overBudget() {
		c.truncated = true
		return newObject()
	}
	o := newObject()

	var types []string
	for _, t := range s.Type.Slice() {
		switch {
		case !slices.Contains(validTypes, t):
			c.warn(path+".type", "type %q is not a JSON Schema type and was left out", t)
		case !slices.Contains(types, t):
			types = append(types, t)
		}
	}
	nullable := c.nullableKeyword && s.Nullable
	wrapNull := false
	if nullable {
		switch {
		case len(types) > 0:
			if !slices.Contains(types, "null") {
				types = append(types, "null")
			}
		case len(s.Enum) > 0:
		default:
			wrapNull = true
		}
	}
	switch len(types) {
	case 0:
	case 1:
		o.set("type", types[0])
	default:
		list := make([]any, len(types))
		for i, t := range types {
			list[i] = t
		}
		o.set("type", list)
	}
	if s.Title != "" {
		o.set("title", s.Title)
	}
	if d := strings.TrimSpace(s.Description); d != "" {
		o.set("description", cutText(d, schemaDescriptionMax))
	}
	if s.Format != "" {
		o.set("format", s.Format)
	}
	if len(s.Enum) > 0 {
		enum := slices.Clone(s.Enum)
		if nullable && !slices.ContainsFunc(enum, func(v any) bool { return v == nil }) {
			enum = append(enum, nil)
		}
		o.set("enum", enum)
	}
	if s.Const != nil {
		o.set("const", s.Const)
	}
	if s.Default != nil {
		o.set("default", s.Default)
	}
	c.examples(o, s)
	if s.Deprecated {
		o.set("deprecated", true)
	}
	c.numberKeywords(o, s)
	c.stringKeywords(o, s, path)
	c.arrayKeywords(o, s, path)
	c.objectKeywords(o, s, path)
	if len(s.AllOf) > 0 {
		o.set("allOf", c.list(s.AllOf, path+".allOf"))
	}
	// oneOf is written as anyOf: see schemaConverter.
	if any := slices.Concat(s.AnyOf, s.OneOf); len(any) > 0 {
		o.set("anyOf", c.list(any, path+".anyOf"))
	}
	if s.Not != nil {
		o.set("not", c.convert(s.Not, path+".not"))
	}
	if s.If != nil {
		o.set("if", c.convert(s.If, path+".if"))
		if s.Then != nil {
			o.set("then", c.convert(s.Then, path+".then"))
		}
		if s.Else != nil {
			o.set("else", c.convert(s.Else, path+".else"))
		}
	}
	if s.ContentMediaType != "" {
		o.set("contentMediaType", s.ContentMediaType)
	}
	if s.ContentEncoding != "" {
		o.set("contentEncoding", s.ContentEncoding)
	}
	if wrapNull {
		w := newObject()
		null := newObject()
		null.set("type", "null")
		w.set("anyOf", []any{o, null})
		return w
	}
	return o
}

// examples keeps the schema's examples (3.1) or example (3.0) when they are
// small: they help a model, but some documents put whole payloads there.
func (c *schemaConverter) examples(o *object, s *openapi3.Schema) {
	var kept []any
	candidates := s.Examples
	if len(candidates) == 0 && s.Example != nil {
		candidates = []any{s.Example}
	}
	for _, e := range candidates {
		if len(compactJSON(e)) <= exampleMaxBytes {
			kept = append(kept, e)
		}
	}
	if len(kept) > 0 {
		o.set("examples", kept)
	}
}

func (c *schemaConverter) numberKeywords(o *object, s *openapi3.Schema) {
	if s.Min != nil {
		o.set("minimum", *s.Min)
	}
	if s.Max != nil {
		o.set("maximum", *s.Max)
	}
	switch {
	case s.ExclusiveMin.Value != nil:
		o.set("exclusiveMinimum", *s.ExclusiveMin.Value)
	case s.ExclusiveMin.IsTrue() && s.Min != nil:
		o.del("minimum")
		o.set("exclusiveMinimum", *s.Min)
	}
	switch {
	case s.ExclusiveMax.Value != nil:
		o.set("exclusiveMaximum", *s.ExclusiveMax.Value)
	case s.ExclusiveMax.IsTrue() && s.Max != nil:
		o.del("maximum")
		o.set("exclusiveMaximum", *s.Max)
	}
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		o.set("multipleOf", *s.MultipleOf)
	}
}

func (c *schemaConverter) stringKeywords(o *object, s *openapi3.Schema, path string) {
	if s.MinLength > 0 {
		o.set("minLength", s.MinLength)
	}
	if s.MaxLength != nil {
		o.set("maxLength", *s.MaxLength)
	}
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err != nil {
			c.warn(path+".pattern", "pattern %q was left out: Go's regular expressions cannot run it (%v)", s.Pattern, err)
		} else {
			o.set("pattern", s.Pattern)
		}
	}
}

func (c *schemaConverter) arrayKeywords(o *object, s *openapi3.Schema, path string) {
	if len(s.PrefixItems) > 0 {
		o.set("prefixItems", c.list(s.PrefixItems, path+".prefixItems"))
	}
	if s.Items != nil {
		o.set("items", c.convert(s.Items, path+".items"))
	}
	if s.MinItems > 0 {
		o.set("minItems", s.MinItems)
	}
	if s.MaxItems != nil {
		o.set("maxItems", *s.MaxItems)
	}
	if s.UniqueItems {
		o.set("uniqueItems", true)
	}
	if s.Contains != nil {
		o.set("contains", c.convert(s.Contains, path+".contains"))
		if s.MinContains != nil {
			o.set("minContains", *s.MinContains)
		}
		if s.MaxContains != nil {
			o.set("maxContains", *s.MaxContains)
		}
	}
	if v := c.boolSchema(s.UnevaluatedItems, path+".unevaluatedItems"); v != nil {
		o.set("unevaluatedItems", v)
	}
}

func (c *schemaConverter) objectKeywords(o *object, s *openapi3.Schema, path string) {
	left := map[string]bool{}
	if len(s.Properties) > 0 {
		props := newObject()
		for _, name := range sortedKeys(s.Properties) {
			p := s.Properties[name]
			if c.leftOut(p) {
				left[name] = true
				continue
			}
			props.set(name, c.convert(p, path+".properties."+name))
		}
		o.set("properties", props)
	}
	var required []string
	for _, r := range s.Required {
		if !left[r] && !slices.Contains(required, r) {
			required = append(required, r)
		}
	}
	if len(required) > 0 {
		o.set("required", required)
	}
	if s.MinProps > 0 {
		o.set("minProperties", s.MinProps)
	}
	if s.MaxProps != nil {
		o.set("maxProperties", *s.MaxProps)
	}
	if v := c.boolSchema(s.AdditionalProperties, path+".additionalProperties"); v != nil {
		o.set("additionalProperties", v)
	}
	if len(s.PatternProperties) > 0 {
		pp := newObject()
		for _, pattern := range sortedKeys(s.PatternProperties) {
			if _, err := regexp.Compile(pattern); err != nil {
				c.warn(path+".patternProperties", "pattern %q was left out: Go's regular expressions cannot run it (%v)", pattern, err)
				continue
			}
			pp.set(pattern, c.convert(s.PatternProperties[pattern], path+".patternProperties."+pattern))
		}
		if pp.len() > 0 {
			o.set("patternProperties", pp)
		}
	}
	if len(s.DependentSchemas) > 0 {
		ds := newObject()
		for _, name := range sortedKeys(s.DependentSchemas) {
			ds.set(name, c.convert(s.DependentSchemas[name], path+".dependentSchemas."+name))
		}
		o.set("dependentSchemas", ds)
	}
	if len(s.DependentRequired) > 0 {
		dr := newObject()
		for _, name := range sortedKeys(s.DependentRequired) {
			var list []string
			for _, v := range s.DependentRequired[name] {
				if !slices.Contains(list, v) {
					list = append(list, v)
				}
			}
			dr.set(name, list)
		}
		o.set("dependentRequired", dr)
	}
	if s.PropertyNames != nil {
		o.set("propertyNames", c.convert(s.PropertyNames, path+".propertyNames"))
	}
	if v := c.boolSchema(s.UnevaluatedProperties, path+".unevaluatedProperties"); v != nil {
		o.set("unevaluatedProperties", v)
	}
}

// leftOut reports whether a property is left out in this mode.
func (c *schemaConverter) leftOut(p *openapi3.SchemaRef) bool {
	if p == nil || p.Value == nil {
		return false
	}
	if c.mode == forRequest {
		return p.Value.ReadOnly
	}
	return p.Value.WriteOnly
}

func (c *schemaConverter) boolSchema(b openapi3.BoolSchema, path string) any {
	if b.Has != nil {
		return *b.Has
	}
	if b.Schema != nil {
		return c.convert(b.Schema, path)
	}
	return nil
}

func (c *schemaConverter) list(refs openapi3.SchemaRefs, path string) []any {
	out := make([]any, len(refs))
	for i, r := range refs {
		out[i] = c.convert(r, path+"["+strconv.Itoa(i)+"]")
	}
	return out
}

// unescapeToken decodes a JSON pointer token as it appears in a $ref.
func unescapeToken(tok string) string {
	if u, err := url.PathUnescape(tok); err == nil {
		tok = u
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

// encodeSchema returns the JSON of a converted schema.
func encodeSchema(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

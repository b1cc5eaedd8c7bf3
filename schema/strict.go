package schema

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// OpenAIStrict converts a tool's argument schema to the parameters of an
// OpenAI function declared with "strict": true (Structured Outputs), where the
// model's arguments are guaranteed to match the schema but only a subset of
// JSON Schema is accepted.
//
// The conversion:
//
//   - closes every object: additionalProperties is false and every property
//     is listed in required;
//   - makes each property that was optional nullable instead: "type":
//     ["string", "null"], null added to an enum, or {"type": "null"} added as
//     an anyOf alternative for a $ref, a const or an anyOf (a property that
//     already takes null is only made required; [Schema.StripOptionalNulls]
//     then keeps its null, which the original schema accepts);
//   - keeps type, properties, items, enum, const, anyOf, $ref into $defs
//     (or definitions), description, title, pattern, the formats strict mode
//     knows (date-time, time, date, duration, email, hostname, ipv4, ipv6,
//     uuid), minimum, maximum, exclusiveMinimum, exclusiveMaximum,
//     multipleOf, minItems and maxItems;
//   - turns oneOf into anyOf and merges allOf into its parent;
//   - removes every other keyword (minLength, maxLength, other formats,
//     default, examples, uniqueItems, not, if/then/else, dependentRequired,
//     ...) and says what it meant in the description: "Constraints: must be
//     at least 3 characters long."
//
// What cannot be said on a property's description, because it constrains the
// arguments as a whole (an anyOf of required lists at the root, say), is
// returned as descriptionNote, to be appended to the tool's description.
//
// A model in strict mode sends null for a property that was optional; the
// gateway must treat such a null as absent before validating the arguments
// against the original schema.
//
// The conversion fails with a [*NotConvertibleError] when strict mode cannot
// express the schema without refusing valid arguments: a root that is not an
// object, an open map (additionalProperties or unevaluatedProperties that is a
// schema, patternProperties, a nested object without declared properties), an
// array without items, a value of any type, a tuple, a reference outside
// $defs or outside the schema, an allOf whose parts disagree, or a schema over
// strict mode's limits (more than 5,000 properties, objects nested more than
// 10 deep, more than 1,000 enum values, more than 120,000 characters of names
// and values, more than 15,000 characters in a string enum of more than 250
// values). The result always passes [ValidateOpenAIStrict].
func OpenAIStrict(raw json.RawMessage) (converted json.RawMessage, descriptionNote string, err error) {
	return convertStrict(raw, openAIDialect)
}

// convertStrict converts a schema for a provider's strict mode.
func convertStrict(raw json.RawMessage, d *strictDialect) (json.RawMessage, string, error) {
	out, note, cerr := strictSchema(raw, d)
	if cerr != nil {
		cerr.Target = d.target
		return nil, "", cerr
	}
	return encodeJSON(out), note, nil
}

func strictSchema(raw json.RawMessage, d *strictDialect) (*jsonObject, string, *NotConvertibleError) {
	v, err := decodeSchema(raw)
	if err != nil {
		return nil, "", err
	}
	root, ok := v.(*jsonObject)
	if !ok {
		return nil, "", notConvertible(RootPath, `must be a JSON object such as {"type":"object","properties":{...}}`)
	}
	if typ, _ := root.str("type"); typ != "object" {
		return nil, "", notConvertible(RootPath+".type", `must be "object": tool arguments are always a JSON object`)
	}
	c := strictConverter{root: root, d: d}
	out, n, cerr := c.convert(root, RootPath)
	if cerr != nil {
		return nil, "", cerr
	}
	if problems := checkStrict(out, d); len(problems) > 0 {
		return nil, "", notConvertible(problems[0].path, "%s", problems[0].message)
	}
	return out, n.rootText(), nil
}

// strictConverter converts one schema for strict mode.
type strictConverter struct {
	root *jsonObject // the original schema, which references resolve against
	d    *strictDialect
}

// schema converts the schema of a property, an item, an anyOf branch or a
// definition. An optional property becomes nullable.
func (c *strictConverter) schema(v any, path string, optional bool) (*jsonObject, *NotConvertibleError) {
	in, ok := v.(*jsonObject)
	if !ok {
		return nil, notConvertible(path, "is a boolean schema; strict mode needs a schema with a type")
	}
	out, n, err := c.convert(in, path)
	if err != nil {
		return nil, err
	}
	if !n.empty() {
		desc, _ := out.str("description")
		out.set("description", withNotes(desc, n))
	}
	if out.has("$ref") && len(out.keys) > 1 {
		// Strict mode takes a reference only on its own: hang it in an
		// anyOf so its description can stay beside it.
		ref := newObject()
		ref.set("$ref", out.values["$ref"])
		out.del("$ref")
		out.set("anyOf", []any{ref})
	}
	if optional {
		// Strict mode says "optional" as "required, and may be null". A
		// property that already takes null is only made required: the
		// model sends null both to leave it out and to mean null, and
		// the null is passed on (the original schema accepts it).
		out = nullable(out)
	}
	return out, nil
}

// convert converts one schema object, returning what it could not keep as
// notes for the caller to place.
func (c *strictConverter) convert(in *jsonObject, path string) (*jsonObject, *notes, *NotConvertibleError) {
	in, err := mergeAllOf(c.root, in, path)
	if err != nil {
		return nil, nil, err
	}
	var required []string
	if v, ok := in.get("required"); ok {
		if required, ok = stringList(v); !ok {
			return nil, nil, notConvertible(path+".required", "must be a list of property names")
		}
	}

	out := newObject()
	n := &notes{}
	for _, k := range in.keys {
		v := in.values[k]
		p := path + "." + k
		switch k {
		case "type":
			if _, ok := typeNames(v); !ok {
				return nil, nil, notConvertible(p, "must be a type name or a list of type names")
			}
			out.set(k, v)
		case "description", "title":
			if _, ok := v.(string); ok {
				out.set(k, v)
			}
		case "properties":
			props, ok := v.(*jsonObject)
			if !ok {
				return nil, nil, notConvertible(p, "must be an object")
			}
			outProps := newObject()
			for _, name := range props.keys {
				optional := c.d.allRequired && !slices.Contains(required, name)
				child, err := c.schema(props.values[name], joinPath(p, name), optional)
				if err != nil {
					return nil, nil, err
				}
				outProps.set(name, child)
			}
			out.set(k, outProps)
		case "required":
			// Rebuilt below from the properties.
		case "additionalProperties", "unevaluatedProperties":
			if !isOpenObjectSchema(v) && !isClosedObjectSchema(v) {
				return nil, nil, notConvertible(p, "is a schema, which makes the object an open map; strict mode needs every property named under properties and no others")
			}
		case "patternProperties":
			return nil, nil, notConvertible(p, "names properties by pattern; strict mode needs every property named under properties")
		case "items":
			switch v := v.(type) {
			case *jsonObject:
				child, err := c.schema(v, p, false)
				if err != nil {
					return nil, nil, err
				}
				out.set(k, child)
			case []any:
				return nil, nil, notConvertible(p, "is a list of schemas (a tuple); strict mode needs one schema for all items")
			case bool:
				if !v {
					return nil, nil, notConvertible(p, "allows no items; strict mode needs a schema for the items")
				}
			}
		case "prefixItems":
			return nil, nil, notConvertible(p, "describes a tuple; strict mode needs one schema for all items")
		case "enum":
			if values, _ := v.([]any); !c.d.primitiveValues || !slices.ContainsFunc(values, notPrimitive) {
				out.set(k, v)
				continue
			}
			noteDropped(in, k, v, n)
		case "const":
			if isPrimitive(v) || !c.d.primitiveValues {
				out.set(k, v)
				continue
			}
			noteDropped(in, k, v, n)
		case "pattern":
			if s, ok := v.(string); ok && c.d.keepPattern(s) {
				out.set(k, v)
				continue
			}
			noteDropped(in, k, v, n)
		case "minItems":
			count, ok := nonNegativeInt(v)
			if c.d.maxMinItems < 0 || (ok && count <= c.d.maxMinItems) {
				out.set(k, v)
				continue
			}
			if ok {
				// Keep what the grammar can say, and say the rest.
				out.set(k, json.Number(strconv.Itoa(c.d.maxMinItems)))
				n.constraint(describe(&kind.MinItems{Want: count}))
			}
		case "maxItems":
			if c.d.maxItems {
				out.set(k, v)
				continue
			}
			if count, ok := nonNegativeInt(v); ok {
				n.constraint(describe(&kind.MaxItems{Want: count}))
			}
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf":
			if _, ok := v.(json.Number); !ok {
				return nil, nil, notConvertible(p, "must be a number (draft-04 boolean bounds cannot be exported)")
			}
			if c.d.numberBounds {
				out.set(k, v)
				continue
			}
			noteDropped(in, k, v, n)
		case "format":
			if s, ok := v.(string); ok && slices.Contains(c.d.formats, s) {
				out.set(k, v)
				continue
			}
			noteDropped(in, k, v, n)
		case "anyOf", "oneOf":
			if lists, ok := requiredOnlyBranches(v); ok {
				noteRequiredAlternatives(lists, n)
				continue
			}
			branches, ok := v.([]any)
			if !ok || len(branches) == 0 {
				return nil, nil, notConvertible(p, "must be a non-empty list of schemas")
			}
			if path == RootPath {
				return nil, nil, notConvertible(p, "offers alternative shapes for the whole arguments object; strict mode needs one object at the root")
			}
			if out.has("anyOf") {
				return nil, nil, notConvertible(p, "sits beside an anyOf; strict mode has only anyOf, so a schema can have only one list of alternatives")
			}
			list := make([]any, 0, len(branches))
			for i, b := range branches {
				child, err := c.schema(b, p+"["+strconv.Itoa(i)+"]", false)
				if err != nil {
					return nil, nil, err
				}
				list = append(list, child)
			}
			out.set("anyOf", list)
		case "$ref":
			ref, _ := v.(string)
			if err := c.checkRef(ref, p); err != nil {
				return nil, nil, err
			}
			out.set(k, ref)
		case "$defs", "definitions":
			if path != RootPath {
				// Nothing refers to definitions outside the root:
				// checkRef refuses such references.
				continue
			}
			defs, ok := v.(*jsonObject)
			if !ok {
				return nil, nil, notConvertible(p, "must be an object")
			}
			outDefs := newObject()
			for _, name := range defs.keys {
				child, err := c.schema(defs.values[name], joinPath(p, name), false)
				if err != nil {
					return nil, nil, err
				}
				outDefs.set(name, child)
			}
			out.set(k, outDefs)
		case "$dynamicRef", "$recursiveRef":
			return nil, nil, notConvertible(p, "is a dynamic reference, which strict mode cannot follow; use $ref")
		default:
			noteDropped(in, k, v, n)
		}
	}
	if err := c.finish(out, in, path, required); err != nil {
		return nil, nil, err
	}
	return out, n, nil
}

// finish closes objects and checks that the converted schema still says
// what kind of value it takes.
func (c *strictConverter) finish(out, in *jsonObject, path string, required []string) *NotConvertibleError {
	types, hasType := typeNames(out.values["type"])
	isObject := hasType && slices.Contains(types, "object")
	if out.has("properties") && !isObject {
		if !hasType {
			return notConvertible(path, `has properties but no type; add "type": "object"`)
		}
		out.del("properties") // properties constrain only objects
	}
	if isObject {
		if !out.has("properties") {
			closed := isClosedObjectSchema(in.values["additionalProperties"])
			if path != RootPath && !closed {
				return notConvertible(path, "is an object without declared properties, which takes any members; strict mode can only describe objects whose properties are all named")
			}
			out.set("properties", newObject())
		}
		props := out.values["properties"].(*jsonObject)
		for _, name := range required {
			if !props.has(name) {
				return notConvertible(path+".required", "lists %s, which is not declared under properties; declare it so strict mode can allow it", name)
			}
		}
		var names []any
		if c.d.allRequired {
			for _, name := range props.keys {
				names = append(names, name)
			}
		} else {
			for _, name := range required {
				if !containsValue(names, name) {
					names = append(names, name)
				}
			}
		}
		if names != nil || c.d.allRequired {
			out.set("required", append([]any{}, names...))
		} else {
			out.del("required")
		}
		out.set("additionalProperties", false)
	}
	if hasType && slices.Contains(types, "array") && !out.has("items") {
		return notConvertible(path, "is an array without an items schema; strict mode needs to know what the items are")
	}
	if !hasType && !out.has("anyOf") && !out.has("$ref") {
		// An enum or const alone is fine in JSON Schema; say its type too,
		// as strict mode's own examples do.
		var values []any
		if enum, ok := out.values["enum"].([]any); ok {
			values = enum
		} else if v, ok := out.get("const"); ok {
			values = []any{v}
		}
		if t, ok := sameType(values); ok && !containsValue(values, nil) {
			out.setFirst("type", t)
			hasType = true
		}
	}
	if !hasType && !out.has("enum") && !out.has("const") && !out.has("anyOf") && !out.has("$ref") {
		return notConvertible(path, "accepts any JSON value; strict mode needs a type (or enum, const, anyOf or $ref)")
	}
	if out.has("$ref") && !out.only("$ref", "description", "title") {
		return notConvertible(path, "combines $ref with other keywords; strict mode takes a reference only on its own: move them into the referenced schema")
	}
	if out.has("anyOf") && !out.only("anyOf", "description", "title") {
		return notConvertible(path, "combines anyOf with other keywords; strict mode takes anyOf only on its own: move them into each alternative")
	}
	return nil
}

// checkRef accepts the references strict mode follows: the root (#) and a
// member of $defs or definitions.
func (c *strictConverter) checkRef(ref, path string) *NotConvertibleError {
	if _, err := resolveLocalRef(c.root, ref, path); err != nil {
		return err
	}
	if ref == "#" {
		return nil
	}
	tokens := pointerTokens(strings.TrimPrefix(ref, "#"))
	if len(tokens) == 2 && (tokens[0] == "$defs" || tokens[0] == "definitions") {
		return nil
	}
	return notConvertible(path, "refers to %s; strict mode follows only references to #/$defs/name (or the root, #): move the schema under $defs", strconv.Quote(ref))
}

// nullable lets a converted schema also take null, which is how strict mode
// says a property may be left out.
func nullable(s *jsonObject) *jsonObject {
	if acceptsNull(s) {
		return s
	}
	if list, ok := s.values["anyOf"].([]any); ok {
		s.set("anyOf", append(slices.Clone(list), nullSchema()))
		return s
	}
	if s.has("$ref") || s.has("const") {
		wrapper := newObject()
		for _, k := range []string{"description", "title"} {
			if v, ok := s.get(k); ok {
				wrapper.set(k, v)
			}
		}
		wrapper.set("anyOf", []any{s.without("description", "title"), nullSchema()})
		return wrapper
	}
	if t, ok := s.get("type"); ok {
		names, _ := typeNames(t)
		list := make([]any, 0, len(names)+1)
		for _, name := range names {
			list = append(list, name)
		}
		s.set("type", append(list, "null"))
	}
	if enum, ok := s.values["enum"].([]any); ok {
		s.set("enum", append(slices.Clone(enum), nil))
	}
	return s
}

// acceptsNull reports whether a converted schema already takes null.
func acceptsNull(s *jsonObject) bool {
	if s.has("$ref") {
		return false
	}
	if list, ok := s.values["anyOf"].([]any); ok {
		for _, b := range list {
			if obj, ok := b.(*jsonObject); ok && acceptsNull(obj) {
				return true
			}
		}
		return false
	}
	if t, ok := s.get("type"); ok {
		if names, _ := typeNames(t); !slices.Contains(names, "null") {
			return false
		}
	}
	if enum, ok := s.values["enum"].([]any); ok && !containsValue(enum, nil) {
		return false
	}
	if v, ok := s.get("const"); ok && v != nil {
		return false
	}
	return s.has("type") || s.has("enum") || s.has("const")
}

func nullSchema() *jsonObject {
	s := newObject()
	s.set("type", "null")
	return s
}

package schema

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// geminiNumberFormats are the formats Gemini gives a meaning to for numbers,
// by type. A string may have any format (Gemini's Schema says "any value is
// allowed"); other numeric formats are described.
var geminiNumberFormats = map[string][]string{
	"integer": {"int32", "int64"},
	"number":  {"float", "double"},
}

// geminiCounts are the keywords Gemini's Schema types as int64, which its
// JSON form (and @google/genai's Schema type) writes as a string: "minItems":
// "1".
var geminiCounts = []string{"minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"}

// Gemini converts a tool's argument schema to the parameters of a Gemini
// function declaration, which take Gemini's Schema (the Schema type of
// @google/genai): a subset of the OpenAPI 3.0 schema object rather than JSON
// Schema.
//
// The conversion:
//
//   - keeps type (lower case), description, title, properties, required,
//     items, anyOf, string enums, default, pattern, minimum, maximum,
//     minItems, maxItems, minLength, maxLength, minProperties and
//     maxProperties (the counts written as strings, as Gemini's int64 fields
//     are), a single example, string formats, and the numeric formats Gemini
//     knows (int32 and int64 for integers, float and double for numbers);
//   - adds propertyOrdering to each object with properties, listing them in
//     the order the schema declares them;
//   - writes "type": ["string", "null"] as "type": "string", "nullable": true,
//     and a type list of several types as an anyOf of each;
//   - writes a string const as a one-value enum; turns oneOf into anyOf;
//     merges allOf into its parent; inlines local $refs and drops $defs;
//   - removes every other keyword (exclusive bounds, multipleOf,
//     uniqueItems, enums of numbers, other numeric formats, ...) and says
//     what it meant in the description: "Constraints: must be a multiple of
//     5."
//
// Optional properties stay optional: Gemini has required.
//
// The conversion fails with a [*NotConvertibleError] when Gemini cannot
// express the schema without refusing valid arguments: a root that is not an
// object, a recursive reference, an open map (additionalProperties or
// unevaluatedProperties that is a schema, patternProperties, a nested object
// without declared properties), an array without items, a value of any type,
// a tuple, a reference outside the schema, or an allOf whose parts disagree.
func Gemini(raw json.RawMessage) (json.RawMessage, error) {
	out, err := gemini(raw)
	if err != nil {
		err.Target = TargetGemini
		return nil, err
	}
	return encodeJSON(out), nil
}

func gemini(raw json.RawMessage) (*jsonObject, *NotConvertibleError) {
	v, err := decodeSchema(raw)
	if err != nil {
		return nil, err
	}
	root, ok := v.(*jsonObject)
	if !ok {
		return nil, notConvertible(RootPath, `must be a JSON object such as {"type":"object","properties":{...}}`)
	}
	if typ, _ := root.str("type"); typ != "object" {
		return nil, notConvertible(RootPath+".type", `must be "object": tool arguments are always a JSON object`)
	}
	g := geminiConverter{root: root}
	merged, cerr := mergeAllOf(root, root, RootPath)
	if cerr != nil {
		return nil, cerr
	}
	if merged.has("$ref") {
		return nil, notConvertible(RootPath+".$ref", "refers elsewhere for the whole arguments object; Gemini needs the properties at the root")
	}
	out, n, cerr := g.convert(merged, RootPath, []string{"#"})
	if cerr != nil {
		return nil, cerr
	}
	if !n.empty() {
		desc, _ := out.str("description")
		out.set("description", appendNote(desc, n.rootText()))
	}
	return out, nil
}

// geminiMaxSchemas bounds how many schemas a conversion may produce. Inlining
// references can multiply a schema's size (a definition that refers twice to
// one that refers twice to ...); no tool's arguments need this many.
const geminiMaxSchemas = 5000

// geminiConverter converts one schema for Gemini.
type geminiConverter struct {
	root    *jsonObject // the original schema, which references resolve against
	schemas int         // how many schemas have been converted
}

// schema converts one schema; following lists the references being inlined
// around it, to catch recursion.
func (g *geminiConverter) schema(v any, path string, following []string) (*jsonObject, *NotConvertibleError) {
	g.schemas++
	if g.schemas > geminiMaxSchemas {
		return nil, notConvertible(path, "makes the schema too large once its references are inlined (over %d schemas); Gemini has no references", geminiMaxSchemas)
	}
	in, ok := v.(*jsonObject)
	if !ok {
		return nil, notConvertible(path, "is a boolean schema; Gemini needs a schema with a type")
	}
	in, err := mergeAllOf(g.root, in, path)
	if err != nil {
		return nil, err
	}
	if ref, ok := in.str("$ref"); ok {
		// Gemini has no references: put the target in place, under the
		// keywords written beside the reference.
		if slices.Contains(following, ref) {
			return nil, notConvertible(path+".$ref", "makes the schema recursive; Gemini cannot describe recursive schemas")
		}
		target, err := resolveLocalRef(g.root, ref, path+".$ref")
		if err != nil {
			return nil, err
		}
		targetObj, ok := target.(*jsonObject)
		if !ok {
			return nil, notConvertible(path+".$ref", "refers to a boolean schema; Gemini needs a schema with a type")
		}
		merged := in.without("$ref")
		if err := mergeInto(merged, targetObj, path); err != nil {
			return nil, err
		}
		return g.schema(merged, path, append(slices.Clone(following), ref))
	}
	out, n, err := g.convert(in, path, following)
	if err != nil {
		return nil, err
	}
	if !n.empty() {
		desc, _ := out.str("description")
		out.set("description", withNotes(desc, n))
	}
	return out, nil
}

// convert converts one schema object without a $ref, returning what it could
// not keep as notes.
func (g *geminiConverter) convert(in *jsonObject, path string, following []string) (*jsonObject, *notes, *NotConvertibleError) {
	out := newObject()
	n := &notes{}
	var (
		types    []string
		nullable bool
		required []string
	)
	for _, k := range in.keys {
		v := in.values[k]
		p := path + "." + k
		switch k {
		case "type":
			names, ok := typeNames(v)
			if !ok {
				return nil, nil, notConvertible(p, "must be a type name or a list of type names")
			}
			for _, name := range names {
				if name == "null" {
					nullable = true
					continue
				}
				types = append(types, name)
			}
			if len(types) == 0 {
				return nil, nil, notConvertible(p, "allows only null, which Gemini cannot describe")
			}
			out.set("type", types[0]) // fixed up below
		case "description":
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
				child, err := g.schema(props.values[name], joinPath(p, name), following)
				if err != nil {
					return nil, nil, err
				}
				outProps.set(name, child)
			}
			out.set(k, outProps)
		case "required":
			var ok bool
			if required, ok = stringList(v); !ok {
				return nil, nil, notConvertible(p, "must be a list of property names")
			}
			out.set(k, v)
		case "additionalProperties", "unevaluatedProperties":
			if !isOpenObjectSchema(v) && !isClosedObjectSchema(v) {
				return nil, nil, notConvertible(p, "is a schema, which makes the object an open map; Gemini needs every property named under properties")
			}
		case "patternProperties":
			return nil, nil, notConvertible(p, "names properties by pattern; Gemini needs every property named under properties")
		case "items":
			switch v := v.(type) {
			case *jsonObject:
				child, err := g.schema(v, p, following)
				if err != nil {
					return nil, nil, err
				}
				out.set(k, child)
			case []any:
				return nil, nil, notConvertible(p, "is a list of schemas (a tuple); Gemini needs one schema for all items")
			case bool:
				if !v {
					return nil, nil, notConvertible(p, "allows no items; Gemini needs a schema for the items")
				}
			}
		case "prefixItems":
			return nil, nil, notConvertible(p, "describes a tuple; Gemini needs one schema for all items")
		case "minimum", "maximum":
			if _, ok := v.(json.Number); ok {
				out.set(k, v)
			}
		case "minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties":
			if count, ok := nonNegativeInt(v); ok {
				out.set(k, strconv.Itoa(count))
			}
		case "title", "pattern":
			if _, ok := v.(string); ok {
				out.set(k, v)
			}
		case "default":
			out.set(k, v)
		case "examples":
			if list, ok := v.([]any); ok && len(list) == 1 {
				out.set("example", list[0])
				continue
			}
			noteDropped(in, k, v, n)
		case "enum", "const", "format":
			// Need the type: handled below.
		case "anyOf", "oneOf":
			if lists, ok := requiredOnlyBranches(v); ok {
				noteRequiredAlternatives(lists, n)
				continue
			}
			branches, ok := v.([]any)
			if !ok || len(branches) == 0 {
				return nil, nil, notConvertible(p, "must be a non-empty list of schemas")
			}
			if out.has("anyOf") {
				return nil, nil, notConvertible(p, "sits beside an anyOf; Gemini has only anyOf, so a schema can have only one list of alternatives")
			}
			list := make([]any, 0, len(branches))
			for i, b := range branches {
				child, err := g.schema(b, p+"["+strconv.Itoa(i)+"]", following)
				if err != nil {
					return nil, nil, err
				}
				list = append(list, child)
			}
			out.set("anyOf", list)
		case "$dynamicRef", "$recursiveRef":
			return nil, nil, notConvertible(p, "is a dynamic reference, which cannot be inlined; use $ref")
		case "nullable":
			// OpenAPI's keyword means nothing in JSON Schema: the original
			// schema does not take null because of it.
		default:
			noteDropped(in, k, v, n)
		}
	}

	if enum, ok := in.get("enum"); ok {
		values, _ := enum.([]any)
		var strs []any
		allStrings := len(values) > 0
		for _, value := range values {
			switch value := value.(type) {
			case nil:
				nullable = true
			case string:
				strs = append(strs, value)
			default:
				allStrings = false
			}
		}
		switch {
		case allStrings && len(strs) > 0:
			out.set("enum", strs)
			types = inferType(types, "string")
		case len(values) > 0:
			noteDropped(in, "enum", values, n)
			if t, ok := sameType(values); ok {
				types = inferType(types, t)
			}
		}
	}
	if value, ok := in.get("const"); ok {
		switch value := value.(type) {
		case nil:
			if len(types) == 0 {
				return nil, nil, notConvertible(path+".const", "allows only null, which Gemini cannot describe")
			}
			nullable = true
		case string:
			out.set("enum", []any{value})
			types = inferType(types, "string")
		default:
			noteDropped(in, "const", value, n)
			if t, ok := sameType([]any{value}); ok {
				types = inferType(types, t)
			}
		}
	}
	if f, ok := in.str("format"); ok {
		if len(types) == 1 && (types[0] == "string" || slices.Contains(geminiNumberFormats[types[0]], f)) {
			out.set("format", f)
		} else {
			noteDropped(in, "format", f, n)
		}
	}

	switch {
	case len(types) == 0:
		if !out.has("anyOf") {
			if out.has("properties") {
				return nil, nil, notConvertible(path, `has properties but no type; add "type": "object"`)
			}
			return nil, nil, notConvertible(path, "accepts any JSON value; Gemini needs a type")
		}
		out.del("type")
	case len(types) == 1:
		out.setFirst("type", types[0])
	default:
		// Gemini takes one type per schema: offer each as an alternative.
		if out.has("anyOf") || !out.only("type", "description", "title", "default") {
			return nil, nil, notConvertible(path+".type", "lists several types beside other keywords; Gemini takes one type per schema: use anyOf with one schema per type")
		}
		alts := make([]any, len(types))
		for i, t := range types {
			alt := newObject()
			alt.set("type", t)
			alts[i] = alt
		}
		out.del("type")
		out.set("anyOf", alts)
	}
	if nullable {
		out.set("nullable", true)
	}

	isObject := slices.Contains(types, "object")
	if !isObject {
		out.del("properties")
		out.del("required")
	}
	if isObject {
		props, hasProps := out.values["properties"].(*jsonObject)
		if !hasProps && path != RootPath && !isClosedObjectSchema(in.values["additionalProperties"]) {
			return nil, nil, notConvertible(path, "is an object without declared properties, which takes any members; Gemini can only describe objects whose properties are named")
		}
		for _, name := range required {
			if !hasProps || !props.has(name) {
				return nil, nil, notConvertible(path+".required", "lists %s, which is not declared under properties; declare it", name)
			}
		}
		if len(required) == 0 {
			out.del("required")
		}
		if hasProps && len(props.keys) > 0 {
			order := make([]any, len(props.keys))
			for i, name := range props.keys {
				order[i] = name
			}
			out.set("propertyOrdering", order)
		}
	}
	if slices.Contains(types, "array") && !out.has("items") {
		return nil, nil, notConvertible(path, "is an array without an items schema; Gemini needs to know what the items are")
	}
	return out, n, nil
}

// inferType returns types, or want when no type was declared.
func inferType(types []string, want string) []string {
	if len(types) > 0 {
		return types
	}
	return []string{want}
}

// sameType reports the one JSON type all values have, if they have one
// (integer for whole numbers).
func sameType(values []any) (string, bool) {
	var t string
	for _, v := range values {
		var vt string
		switch v := v.(type) {
		case nil:
			continue
		case bool:
			vt = "boolean"
		case string:
			vt = "string"
		case json.Number:
			vt = "number"
			if !strings.ContainsAny(v.String(), ".eE") {
				vt = "integer"
			}
		default:
			return "", false
		}
		switch {
		case t == "" || t == vt:
			t = vt
		case (t == "integer" && vt == "number") || (t == "number" && vt == "integer"):
			t = "number"
		default:
			return "", false
		}
	}
	return t, t != ""
}

package schema

import "encoding/json"

// elevenLabsPolicy: ElevenLabs literal properties keep neither pattern nor
// format.
var elevenLabsPolicy = voicePolicy{target: TargetElevenLabs}

// ElevenLabs converts a tool's argument schema to the request_body_schema of
// an ElevenLabs webhook tool (POST /v1/convai/tools), in the shapes
// @elevenlabs/elevenlabs-js's serialization.ToolRequestModel accepts with
// unrecognizedObjectKeys "fail":
//
//   - a literal (string, integer, number, boolean) has type, description and,
//     for a string, enum of strings;
//   - an object has type, description, properties, required and
//     required_constraints (any_of: lists of required properties, which is
//     how an anyOf or oneOf of required lists is kept);
//   - an array has type, description and items;
//   - a const becomes constant_value (the platform fills the value in; the
//     model is not asked for it).
//
// ElevenLabs takes exactly one value source per property: a description
// (the model provides the value), a dynamic variable or a constant. So every
// property except a const gets a description, made from its title or name
// when the schema has none, and a const gets none.
//
// References are inlined and allOf merged; a type list, nullable or an
// alternative of null is narrowed to its one other type (a property may be
// left out instead); alternatives of one scalar type keep that type; pattern,
// format, bounds, lengths, default, examples and the rest are said in the
// description. What cannot be expressed is exported as closely as ElevenLabs
// allows and listed in unconverted: a recursive reference, alternatives of
// different kinds, a value of any type (exported as a string), an object of
// any members (an open map) and a tuple. The root's own constraints that no
// property can carry are returned as descriptionNote, to append to the
// tool's description.
//
// The conversion never fails: it always returns a body schema ElevenLabs
// accepts.
func ElevenLabs(raw json.RawMessage) (body json.RawMessage, descriptionNote string, unconverted []*NotConvertibleError) {
	c := &voiceConverter{policy: elevenLabsPolicy}
	root := c.reduceRoot(raw)
	out := newObject()
	out.set("type", "object")
	desc := root.description
	if desc == "" {
		desc = root.title
	}
	if desc == "" {
		desc = "The arguments of the call."
	}
	out.set("description", desc)
	elevenLabsMembers(out, root)
	return voiceResult(out, root.notes.rootText(), c)
}

// elevenLabsProperty renders a property (or an array's items) of the given
// name.
func elevenLabsProperty(n *voiceNode, name string) *jsonObject {
	out := newObject()
	out.set("type", n.typ)
	if n.hasConst && elevenLabsConstant(n) {
		out.set("constant_value", n.constant)
		return out
	}
	nn := *n
	if n.hasConst {
		nn.notes.constraints = append([]string{describeConst(n.constant)}, n.notes.constraints...)
	}
	desc := nn.text(false, false)
	if desc == "" {
		desc = "The " + humanName(name) + "."
	}
	out.set("description", desc)
	elevenLabsContents(out, n, name)
	return out
}

// elevenLabsItems renders the items of the array property name: described
// as "One of the tags." when the schema says nothing.
func elevenLabsItems(n *voiceNode, name string) *jsonObject {
	out := elevenLabsProperty(n, name)
	if n.text(false, false) == "" && out.has("description") {
		out.set("description", "One of the "+humanName(name)+".")
	}
	return out
}

// elevenLabsContents renders what a property holds, by its type.
func elevenLabsContents(out *jsonObject, n *voiceNode, name string) {
	switch n.typ {
	case "string":
		if len(n.enum) > 0 {
			out.set("enum", stringsToAny(n.enum))
		}
	case "object":
		elevenLabsMembers(out, n)
	case "array":
		out.set("items", elevenLabsItems(n.items, name))
	}
}

// elevenLabsMembers renders an object's properties, required and
// required_constraints.
func elevenLabsMembers(out *jsonObject, n *voiceNode) {
	props := newObject()
	for _, p := range n.props {
		props.set(p.name, elevenLabsProperty(p.node, p.name))
	}
	out.set("properties", props)
	if len(n.required) > 0 {
		out.set("required", stringsToAny(n.required))
	}
	if len(n.alternatives) > 0 {
		anyOf := make([]any, len(n.alternatives))
		for i, names := range n.alternatives {
			alt := newObject()
			alt.set("required", stringsToAny(names))
			anyOf[i] = alt
		}
		rc := newObject()
		rc.set("any_of", anyOf)
		out.set("required_constraints", rc)
	}
}

// elevenLabsConstant reports whether a const can be ElevenLabs'
// constant_value: a string, number or boolean for a literal, an object for
// an object, a list for an array.
func elevenLabsConstant(n *voiceNode) bool {
	switch n.constant.(type) {
	case string, json.Number, bool:
		return n.typ != "object" && n.typ != "array"
	case *jsonObject:
		return n.typ == "object"
	case []any:
		return n.typ == "array"
	}
	return false
}

// describeConst words a const the platform cannot keep.
func describeConst(v any) string {
	return "must be " + valueText(v)
}

func stringsToAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

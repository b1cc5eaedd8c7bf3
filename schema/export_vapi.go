package schema

import "encoding/json"

// vapiFormats are the string formats Vapi's JsonSchema takes
// (@vapi-ai/server-sdk's JsonSchemaFormat).
var vapiFormats = []string{"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}

var vapiPolicy = voicePolicy{target: TargetVapi, pattern: true, formats: vapiFormats}

// Vapi converts a tool's argument schema to the parameters of a Vapi
// function tool (POST /tool, function.parameters), in the shapes
// @vapi-ai/server-sdk types them: the root is OpenAiFunctionParameters
// (type "object", properties, required), and every schema inside is a
// JsonSchema with only type (one of string, number, integer, boolean, array,
// object), items, properties, description, pattern, format (date-time, time,
// date, duration, email, hostname, ipv4, ipv6, uuid), required, enum (of
// strings) and title.
//
// References are inlined and allOf merged; a type list, nullable or an
// alternative of null is narrowed to its one other type (a property may be
// left out instead); alternatives of one scalar type keep that type; a
// string const becomes a one-value enum; other formats, bounds, lengths,
// enums of numbers, default, examples and the rest are said in the
// description. What cannot be expressed is exported as closely as Vapi
// allows and listed in unconverted: a recursive reference, alternatives of
// different kinds, a value of any type (exported as a string), an object of
// any members (an open map) and a tuple. The root's description and its own
// constraints are returned as descriptionNote, to append to the tool's
// description, since the root takes neither.
//
// The conversion never fails: it always returns parameters Vapi accepts.
func Vapi(raw json.RawMessage) (parameters json.RawMessage, descriptionNote string, unconverted []*NotConvertibleError) {
	c := &voiceConverter{policy: vapiPolicy}
	root := c.reduceRoot(raw)
	out := newObject()
	out.set("type", "object")
	vapiMembers(out, root)
	desc := root.description
	if desc == "" {
		desc = root.title
	}
	nn := notes{hints: root.notes.hints}
	if len(root.alternatives) > 0 {
		noteRequiredAlternatives(root.alternatives, &nn)
	}
	nn.constraints = append(nn.constraints, root.notes.constraints...)
	return voiceResult(out, appendNote(desc, nn.rootText()), c)
}

// vapiSchema renders one JsonSchema.
func vapiSchema(n *voiceNode) *jsonObject {
	out := newObject()
	out.set("type", n.typ)
	if n.title != "" {
		out.set("title", n.title)
	}
	nn := *n
	if n.hasConst {
		if s, ok := n.constant.(string); ok && n.typ == "string" {
			nn.enum = []string{s}
		} else {
			nn.notes.constraints = append([]string{describeConst(n.constant)}, n.notes.constraints...)
		}
	}
	if desc := nn.text(true, true); desc != "" {
		out.set("description", desc)
	}
	switch n.typ {
	case "string":
		if n.pattern != "" {
			out.set("pattern", n.pattern)
		}
		if n.format != "" {
			out.set("format", n.format)
		}
		if len(nn.enum) > 0 {
			out.set("enum", stringsToAny(nn.enum))
		}
	case "object":
		vapiMembers(out, n)
	case "array":
		out.set("items", vapiSchema(n.items))
	}
	return out
}

// vapiMembers renders an object's properties and required.
func vapiMembers(out *jsonObject, n *voiceNode) {
	props := newObject()
	for _, p := range n.props {
		props.set(p.name, vapiSchema(p.node))
	}
	out.set("properties", props)
	if len(n.required) > 0 {
		out.set("required", stringsToAny(n.required))
	}
}

package schema

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// The voice platforms (ElevenLabs, Vapi) take their own small subsets of
// JSON Schema: one type per value, no references, no alternatives. Their
// exports first reduce a schema to a voiceNode, the part of JSON Schema both
// can say, and then render it in the platform's shape. What a platform
// cannot say as a keyword is told to the model in the description, as for
// the providers; what it cannot say at all is reported as unconverted, and
// the export is still made, because a platform refuses the whole tool when
// one schema in it is not in its subset.

// voiceNode is a schema reduced to what the voice platforms can express.
type voiceNode struct {
	typ          string // string, integer, number, boolean, object or array
	description  string
	title        string
	enum         []string // string values, for a string
	constant     any      // the const value, when hasConst
	hasConst     bool
	pattern      string
	format       string
	props        []voiceProp
	required     []string
	alternatives [][]string // lists of properties, one of which must be given in full
	items        *voiceNode
	notes        notes
	recursive    bool // a reference back into itself was cut here
}

type voiceProp struct {
	name string
	node *voiceNode
}

// voicePolicy says what a platform keeps beyond the common subset.
type voicePolicy struct {
	target  string
	pattern bool     // pattern is kept
	formats []string // string formats kept
}

// voiceConverter reduces one schema for a voice platform.
type voiceConverter struct {
	policy      voicePolicy
	root        *jsonObject
	schemas     int
	unconverted []*NotConvertibleError
}

// lost records something the platform cannot express.
func (c *voiceConverter) lost(err *NotConvertibleError) {
	if err == nil {
		return
	}
	err.Target = c.policy.target
	c.unconverted = append(c.unconverted, err)
}

// reduceRoot reduces a whole schema; the root is always an object.
func (c *voiceConverter) reduceRoot(raw json.RawMessage) *voiceNode {
	v, err := decodeSchema(raw)
	if err != nil {
		c.lost(err)
		return &voiceNode{typ: "object"}
	}
	root, ok := v.(*jsonObject)
	if !ok {
		c.lost(notConvertible(RootPath, `must be a JSON object such as {"type":"object","properties":{...}}`))
		return &voiceNode{typ: "object"}
	}
	c.root = root
	n := c.reduce(root, RootPath, "", []string{"#"})
	if n.typ != "object" {
		c.lost(notConvertible(RootPath+".type", `must be "object": tool arguments are always a JSON object`))
		return &voiceNode{typ: "object"}
	}
	return n
}

// reduce reduces the schema v, found at path as the value of the property
// name (empty for the root and items).
func (c *voiceConverter) reduce(v any, path, name string, following []string) *voiceNode {
	c.schemas++
	if c.schemas > inlineMaxSchemas {
		if c.schemas == inlineMaxSchemas+1 {
			c.lost(notConvertible(path, "makes the schema too large once its references are inlined (over %d schemas); the rest is exported as strings", inlineMaxSchemas))
		}
		return &voiceNode{typ: "string"}
	}
	obj, ok := v.(*jsonObject)
	if !ok {
		if v == false {
			c.lost(notConvertible(path, "is the schema false, which no value matches; exported as a string"))
		} else {
			c.lost(notConvertible(path, "accepts any JSON value; %s needs one type per value: exported as a string", c.policy.target))
		}
		return &voiceNode{typ: "string"}
	}
	in, following, err := inlineSchema(c.root, obj, path, following)
	c.lost(err)
	n := &voiceNode{recursive: err != nil && errors.Is(err, errRecursiveSchema)}
	in = c.pickAlternative(in, path, following, &n.notes)

	n.typ = c.pickType(in, path)
	if lists, ok := requiredOnlyBranches(in.values["anyOf"]); ok {
		n.alternatives = lists
	} else if lists, ok := requiredOnlyBranches(in.values["oneOf"]); ok {
		n.alternatives = lists
	}
	var required []string
	for _, k := range in.keys {
		v := in.values[k]
		p := path + "." + k
		switch k {
		case "type", "anyOf", "oneOf", "$defs", "definitions", "$schema", "$id", "$anchor",
			"$dynamicAnchor", "$comment", "nullable", "enum", "const":
			// Handled elsewhere, or nothing to say.
		case "description":
			n.description, _ = v.(string)
		case "title":
			n.title, _ = v.(string)
		case "properties":
			props, ok := v.(*jsonObject)
			if !ok || n.typ != "object" {
				continue
			}
			for _, prop := range props.keys {
				child := c.reduce(props.values[prop], joinPath(p, prop), prop, following)
				n.props = append(n.props, voiceProp{prop, child})
			}
		case "required":
			required, _ = stringList(v)
		case "additionalProperties", "unevaluatedProperties":
			if n.typ == "object" && !isOpenObjectSchema(v) && !isClosedObjectSchema(v) {
				c.lost(notConvertible(p, "is a schema, which lets the object take members of any name; %s can only describe named members, so the model cannot send others", c.policy.target))
				n.notes.hint("May have members of any name, each " + describeSchema(v) + ".")
			}
		case "patternProperties":
			if n.typ == "object" {
				c.lost(notConvertible(p, "names members by pattern; %s can only describe named members, so the model cannot send these", c.policy.target))
				n.notes.hint("May have members named by pattern: " + valueText(v) + ".")
			}
		case "items", "prefixItems":
			if n.typ != "array" || n.items != nil {
				continue
			}
			switch v := v.(type) {
			case *jsonObject:
				n.items = c.reduce(v, p, "", following)
			case []any:
				if len(v) == 0 {
					continue
				}
				c.lost(notConvertible(p, "describes a tuple; %s takes one schema for all items: exported with the first", c.policy.target))
				texts := make([]string, len(v))
				for i, item := range v {
					texts[i] = describeSchema(item)
				}
				n.notes.hint("Items, in order: " + strings.Join(texts, ", ") + ".")
				n.items = c.reduce(v[0], p+"[0]", "", following)
			}
		case "pattern":
			if s, ok := v.(string); ok && c.policy.pattern && n.typ == "string" {
				n.pattern = s
				continue
			}
			noteDropped(in, k, v, &n.notes)
		case "format":
			if s, ok := v.(string); ok && n.typ == "string" && slices.Contains(c.policy.formats, s) {
				n.format = s
				continue
			}
			noteDropped(in, k, v, &n.notes)
		case "$dynamicRef", "$recursiveRef":
			c.lost(notConvertible(p, "is a dynamic reference, which cannot be inlined"))
		default:
			noteDropped(in, k, v, &n.notes)
		}
	}
	c.values(n, in)
	c.finish(n, in, path, required)
	return n
}

// pickAlternative folds the alternatives of anyOf or oneOf into the schema
// where a platform without alternatives can still say something true: a
// null alternative is dropped (a property may simply be left out), a single
// other one is merged in, and several of one scalar type keep that type with
// the alternatives described in n. Otherwise the first alternative is kept,
// the others are described, and the loss is recorded.
func (c *voiceConverter) pickAlternative(in *jsonObject, path string, following []string, n *notes) *jsonObject {
	for _, k := range []string{"anyOf", "oneOf"} {
		v, ok := in.get(k)
		if !ok {
			continue
		}
		if _, ok := requiredOnlyBranches(v); ok {
			continue
		}
		branches, _ := v.([]any)
		var kept []*jsonObject
		for i, b := range branches {
			obj, ok := b.(*jsonObject)
			if !ok {
				continue
			}
			resolved, _, _ := inlineSchema(c.root, obj, path+"."+k+"["+strconv.Itoa(i)+"]", following)
			if t, _ := resolved.str("type"); t == "null" || (resolved.has("const") && resolved.values["const"] == nil) {
				continue
			}
			kept = append(kept, resolved)
		}
		out := in.without(k)
		switch {
		case len(kept) == 0:
		case len(kept) == 1:
			c.mergeAlternative(out, kept[0], path+"."+k)
		default:
			texts := make([]string, len(kept))
			for i, b := range kept {
				texts[i] = describeSchema(b)
			}
			if t, ok := commonScalarType(kept); ok {
				if !out.has("type") {
					out.set("type", t)
				}
				for i, b := range kept {
					if c := constraintsOf(b); c != "" {
						texts[i] = c
					}
				}
				n.constraint(orList(texts))
				break
			}
			c.lost(notConvertible(path+"."+k, "offers alternatives of different kinds; %s takes one type per value: exported as the first, the others described", c.policy.target))
			n.hint("May also be " + orList(texts[1:]) + ".")
			out.del("type")
			c.mergeAlternative(out, kept[0], path+"."+k+"[0]")
		}
		in = out
	}
	return in
}

// mergeAlternative merges the one alternative kept into its parent.
func (c *voiceConverter) mergeAlternative(dst, alt *jsonObject, path string) {
	if err := mergeInto(dst.without(), alt, path); err != nil {
		c.lost(err)
		return
	}
	_ = mergeInto(dst, alt, path) // cannot fail: the trial merged
}

// commonScalarType reports the one scalar type all schemas declare.
func commonScalarType(list []*jsonObject) (string, bool) {
	var t string
	for _, s := range list {
		types, ok := typeNames(s.values["type"])
		types = slices.DeleteFunc(types, func(t string) bool { return t == "null" })
		if !ok || len(types) != 1 || types[0] == "object" || types[0] == "array" || (t != "" && t != types[0]) {
			return "", false
		}
		t = types[0]
	}
	return t, t != ""
}

// pickType decides the one type the platform is told.
func (c *voiceConverter) pickType(in *jsonObject, path string) string {
	types, ok := typeNames(in.values["type"])
	if !ok && in.has("type") {
		c.lost(notConvertible(path+".type", "must be a type name or a list of type names"))
		types = nil
	}
	types = slices.DeleteFunc(types, func(t string) bool { return t == "null" })
	if len(types) == 0 {
		var values []any
		if enum, ok := in.values["enum"].([]any); ok {
			values = enum
		} else if v, ok := in.get("const"); ok {
			values = []any{v}
		}
		switch t, ok := sameType(values); {
		case ok:
			return t
		case in.has("properties") || in.has("required") || in.has("additionalProperties"):
			return "object"
		case in.has("items") || in.has("prefixItems"):
			return "array"
		case in.has("pattern") || in.has("minLength") || in.has("maxLength") || in.has("format"):
			return "string"
		case in.has("minimum") || in.has("maximum") || in.has("multipleOf"):
			return "number"
		}
		c.lost(notConvertible(path, "accepts any JSON value; %s needs one type per value: exported as a string", c.policy.target))
		return "string"
	}
	if len(types) > 1 {
		c.lost(notConvertible(path+".type", "lists the types %s; %s takes one type per value: exported as %s", andList(types), c.policy.target, types[0]))
	}
	return types[0]
}

// values reduces enum and const.
func (c *voiceConverter) values(n *voiceNode, in *jsonObject) {
	if enum, ok := in.values["enum"].([]any); ok {
		var strs []string
		allStrings := n.typ == "string"
		for _, v := range enum {
			switch v := v.(type) {
			case nil:
			case string:
				strs = append(strs, v)
			default:
				allStrings = false
			}
		}
		if allStrings && len(strs) > 0 {
			n.enum = strs
		} else {
			noteDropped(in, "enum", enum, &n.notes)
		}
	}
	if v, ok := in.get("const"); ok {
		n.constant, n.hasConst = v, true
	}
}

// finish checks an object's and an array's members.
func (c *voiceConverter) finish(n *voiceNode, in *jsonObject, path string, required []string) {
	switch n.typ {
	case "object":
		for _, name := range required {
			if !slices.ContainsFunc(n.props, func(p voiceProp) bool { return p.name == name }) {
				c.lost(notConvertible(path+".required", "lists %s, which is not declared under properties; declare it so %s can ask for it", name, c.policy.target))
				continue
			}
			if !slices.Contains(n.required, name) {
				n.required = append(n.required, name)
			}
		}
		if len(n.props) == 0 && !n.recursive && !isClosedObjectSchema(in.values["additionalProperties"]) && !in.has("patternProperties") &&
			(!in.has("additionalProperties") || isOpenObjectSchema(in.values["additionalProperties"])) && path != RootPath {
			c.lost(notConvertible(path, "is an object without declared properties, which takes any members; %s can only describe named members", c.policy.target))
		}
	case "array":
		if n.items == nil {
			c.lost(notConvertible(path, "is an array without an items schema; %s needs the items' type: exported as strings", c.policy.target))
			n.items = &voiceNode{typ: "string"}
		}
	}
}

// text is the node's description with its notes: the title stands in for
// a missing description unless the platform keeps titles, and the lists of
// required properties are worded when the platform cannot keep them.
func (n *voiceNode) text(keepTitle, wordAlternatives bool) string {
	desc := n.description
	if desc == "" && !keepTitle {
		desc = n.title
	}
	nn := notes{hints: n.notes.hints}
	if wordAlternatives && len(n.alternatives) > 0 {
		noteRequiredAlternatives(n.alternatives, &nn)
	}
	nn.constraints = append(nn.constraints, n.notes.constraints...)
	return withNotes(desc, &nn)
}

// describeSchema words a schema briefly for a description: "an integer", "a
// string that must be a valid date"; a schema it cannot put in a few words is
// shown as JSON.
func describeSchema(v any) string {
	s, ok := v.(*jsonObject)
	if !ok {
		if v == true {
			return "any value"
		}
		return valueText(v)
	}
	types, _ := typeNames(s.values["type"])
	if len(types) != 1 || types[0] == "object" || types[0] == "array" {
		return valueText(s)
	}
	noun := map[string]string{"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean", "null": "null"}[types[0]]
	for _, k := range s.keys {
		if !slices.Contains([]string{"type", "description", "title", "$comment"}, k) && !noteDropped(s, k, s.values[k], &notes{}) {
			return valueText(s)
		}
	}
	if c := constraintsOf(s); c != "" {
		noun += " that " + c
	}
	if desc, ok := s.str("description"); ok && desc != "" {
		noun += " (" + strings.TrimSuffix(desc, ".") + ")"
	}
	return noun
}

// constraintsOf words the constraints of a schema's own keywords: "must be
// a valid date and must be at most 10 characters long".
func constraintsOf(s *jsonObject) string {
	n := &notes{}
	for _, k := range s.keys {
		noteDropped(s, k, s.values[k], n)
	}
	return andList(n.constraints)
}

// humanName turns a property name into words for a description: order_id
// is "order id".
func humanName(name string) string {
	return strings.TrimSpace(strings.NewReplacer("_", " ", "-", " ").Replace(name))
}

// voiceResult packages a conversion's outcome.
func voiceResult(out *jsonObject, note string, c *voiceConverter) (json.RawMessage, string, []*NotConvertibleError) {
	return encodeJSON(out), note, c.unconverted
}

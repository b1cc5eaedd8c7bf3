package schema

import (
	"encoding/json"
	"slices"
	"strconv"
)

// Retell converts a tool's argument schema to the parameters of a Retell
// custom tool (retell-sdk's CustomTool.Parameters): {"type": "object",
// "properties", "required"} and nothing else at the root, while the schema
// of each property may be any JSON Schema.
//
// References are inlined, since the root cannot carry $defs: a reference is
// replaced by its target, merged under the keywords written beside it (or
// combined with them in an allOf where they disagree), and every $defs and
// definitions is dropped. allOf is merged where its parts agree (at the root
// it must be, so that its properties are at the root). The root's description and its own
// constraints (an anyOf of required lists, dependentRequired, ...) are
// returned as descriptionNote, to append to the tool's description.
//
// What cannot be expressed is listed in unconverted: a recursive reference
// (exported as its target's type without its contents), a dynamic reference,
// and root keywords that are not constraints a sentence can carry (an anyOf
// of different shapes for the whole arguments, a schema for further
// members).
//
// The conversion never fails: it always returns parameters Retell accepts.
func Retell(raw json.RawMessage) (parameters json.RawMessage, descriptionNote string, unconverted []*NotConvertibleError) {
	c := &retellConverter{}
	out := newObject()
	out.set("type", "object")
	v, err := decodeSchema(raw)
	if err != nil {
		c.lost(err)
		out.set("properties", newObject())
		return encodeJSON(out), "", c.unconverted
	}
	root, ok := v.(*jsonObject)
	if !ok {
		c.lost(notConvertible(RootPath, `must be a JSON object such as {"type":"object","properties":{...}}`))
		out.set("properties", newObject())
		return encodeJSON(out), "", c.unconverted
	}
	c.root = root
	merged, err := mergeAllOf(root, root, RootPath)
	if err != nil {
		c.lost(err)
		merged = root.without("allOf")
	}
	converted, _ := c.schema(merged, RootPath, []string{"#"}).(*jsonObject)
	if converted == nil {
		converted = newObject()
	}

	n := &notes{}
	props, _ := converted.values["properties"].(*jsonObject)
	if props == nil {
		props = newObject()
	}
	out.set("properties", props)
	var description string
	for _, k := range converted.keys {
		v := converted.values[k]
		p := RootPath + "." + k
		switch k {
		case "type", "properties", "title", "$comment":
		case "required":
			names, _ := stringList(v)
			var kept []any
			for _, name := range names {
				if props.has(name) && !containsValue(kept, name) {
					kept = append(kept, name)
				} else if !props.has(name) {
					c.lost(notConvertible(p, "lists %s, which is not declared under properties; declare it so Retell can ask for it", name))
				}
			}
			if len(kept) > 0 {
				out.set("required", kept)
			}
		case "description":
			description, _ = v.(string)
		case "additionalProperties", "unevaluatedProperties":
			if !isOpenObjectSchema(v) && !isClosedObjectSchema(v) {
				c.lost(notConvertible(p, "is a schema for further members, which Retell's parameters cannot carry at the root"))
			}
		case "patternProperties":
			c.lost(notConvertible(p, "names members by pattern, which Retell's parameters cannot carry at the root"))
		case "anyOf", "oneOf":
			if lists, ok := requiredOnlyBranches(v); ok {
				noteRequiredAlternatives(lists, n)
				continue
			}
			c.lost(notConvertible(p, "offers alternative shapes for the whole arguments, which Retell's parameters cannot carry at the root"))
		default:
			noteDropped(converted, k, v, n)
		}
	}
	return encodeJSON(out), appendNote(description, n.rootText()), c.unconverted
}

// retellConverter inlines the references of one schema.
type retellConverter struct {
	root        *jsonObject
	schemas     int
	unconverted []*NotConvertibleError
}

func (c *retellConverter) lost(err *NotConvertibleError) {
	if err == nil {
		return
	}
	err.Target = TargetRetell
	c.unconverted = append(c.unconverted, err)
}

// schema returns the schema v, found at path, with its references inlined
// and its definitions dropped; following lists the references being inlined
// around it.
func (c *retellConverter) schema(v any, path string, following []string) any {
	node, ok := v.(*jsonObject)
	if !ok {
		return v // true or false
	}
	c.schemas++
	if c.schemas > inlineMaxSchemas {
		if c.schemas == inlineMaxSchemas+1 {
			c.lost(notConvertible(path, "makes the schema too large once its references are inlined (over %d schemas); the rest is exported as any value", inlineMaxSchemas))
		}
		return newObject()
	}
	node, following = c.inline(node, path, following)
	if node.has("allOf") {
		// Merged where the parts agree, so the model reads one schema;
		// kept as an allOf where they do not.
		if merged, err := mergeAllOf(c.root, node, path); err == nil {
			node, following = c.inline(merged, path, following)
		}
	}
	out := newObject()
	for _, k := range node.keys {
		v := node.values[k]
		p := path + "." + k
		switch k {
		case "$defs", "definitions", "$schema", "$id", "$anchor", "$dynamicAnchor":
			continue
		case "$dynamicRef", "$recursiveRef":
			c.lost(notConvertible(p, "is a dynamic reference, which cannot be inlined"))
			continue
		}
		switch list := v.(type) {
		case *jsonObject:
			switch keywordRole(k, false) {
			case roleSchema:
				out.set(k, c.schema(list, p, following))
				continue
			case roleSchemaMap:
				members := newObject()
				for _, name := range list.keys {
					members.set(name, c.schema(list.values[name], joinPath(p, name), following))
				}
				out.set(k, members)
				continue
			}
		case []any:
			if keywordRole(k, true) == roleSchemaList {
				items := make([]any, len(list))
				for i, item := range list {
					items[i] = c.schema(item, p+"["+strconv.Itoa(i)+"]", following)
				}
				out.set(k, items)
				continue
			}
		}
		out.set(k, v)
	}
	return out
}

// inline replaces node's references by their targets, returning the
// references now followed.
func (c *retellConverter) inline(node *jsonObject, path string, following []string) (*jsonObject, []string) {
	following = slices.Clip(following)
	for range maxMergeDepth {
		ref, ok := node.str("$ref")
		if !ok {
			return node, following
		}
		rest := node.without("$ref")
		target, err := resolveLocalRef(c.root, ref, path+".$ref")
		if err != nil {
			c.lost(err)
			return rest, following
		}
		targetObj, ok := target.(*jsonObject)
		switch {
		case !ok && target == true:
			return rest, following
		case !ok:
			c.lost(notConvertible(path+".$ref", "refers to the schema false, which no value matches"))
			rest.set("not", newObject())
			return rest, following
		case slices.Contains(following, ref):
			c.lost(notConvertible(path+".$ref", "refers to %s from inside it; a recursive schema cannot be inlined, so this value is exported without its members", strconv.Quote(ref)))
			if t, ok := targetObj.get("type"); ok && !rest.has("type") {
				rest.set("type", t)
			}
			desc, _ := rest.str("description")
			rest.set("description", appendNote(desc, "Has the shape of "+refName(ref)+", nested."))
			return rest, following
		}
		following = append(following, ref)
		if len(rest.keys) == 0 {
			node = targetObj
			continue
		}
		if err := mergeInto(rest.without(), targetObj, path); err == nil {
			_ = mergeInto(rest, targetObj, path) // cannot fail: the trial merged
		} else {
			// Keywords beside a reference apply with it, as in an allOf.
			all, _ := rest.values["allOf"].([]any)
			rest.set("allOf", append(slices.Clone(all), targetObj))
		}
		node = rest
	}
	c.lost(notConvertible(path, "refers through too many references to inline (is it recursive?)"))
	return node.without("$ref"), following
}

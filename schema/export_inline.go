package schema

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// inlineMaxSchemas bounds how many schemas a conversion that inlines
// references may produce. Inlining can multiply a schema's size (a
// definition that refers twice to one that refers twice to ...); no tool's
// arguments need this many.
const inlineMaxSchemas = 5000

// inlineSchema returns node as one schema without $ref or allOf, for
// platforms that have neither: allOf is merged into node, and a reference is
// replaced by its target, merged under the keywords written beside it.
// following lists the references being inlined around node; the references
// inlined here are appended to the returned list.
//
// When a reference leads back into one being followed (a recursive schema),
// the returned schema keeps the target's type but not its contents, with a
// note saying so, and the error says where. Other problems (a reference that
// does not resolve, an allOf whose parts disagree) are returned with the
// schema as far as it could be resolved.
func inlineSchema(root, node *jsonObject, path string, following []string) (*jsonObject, []string, *NotConvertibleError) {
	following = slices.Clip(following)
	var lost *NotConvertibleError
	for range maxMergeDepth {
		merged, err := mergeAllOf(root, node, path)
		if err != nil {
			return node.without("allOf", "$ref"), following, cmp.Or(lost, err)
		}
		node = merged
		ref, ok := node.str("$ref")
		if !ok {
			return node, following, lost
		}
		rest := node.without("$ref")
		target, err := resolveLocalRef(root, ref, path+".$ref")
		if err != nil {
			return rest, following, cmp.Or(lost, err)
		}
		targetObj, ok := target.(*jsonObject)
		if !ok {
			return rest, following, cmp.Or(lost, notConvertible(path+".$ref", "refers to a boolean schema"))
		}
		if slices.Contains(following, ref) {
			if t, ok := targetObj.get("type"); ok && !rest.has("type") {
				rest.set("type", t)
			}
			desc, _ := rest.str("description")
			rest.set("description", appendNote(desc, "Has the shape of "+refName(ref)+", nested."))
			recursion := notConvertible(path+".$ref", "refers to %s from inside it; a recursive schema cannot be inlined, so this value is exported without its members", strconv.Quote(ref))
			recursion.Err = errRecursiveSchema
			return rest, following, cmp.Or(lost, recursion)
		}
		if err := mergeInto(rest.without(), targetObj, path); err != nil {
			// The keywords beside the reference disagree with its
			// target: keep theirs, and the target's others.
			lost = cmp.Or(lost, err)
			for _, k := range targetObj.keys {
				if !rest.has(k) {
					rest.set(k, targetObj.values[k])
				}
			}
		} else if err := mergeInto(rest, targetObj, path); err != nil {
			lost = cmp.Or(lost, err) // cannot happen: the trial merged
		}
		node = rest
		following = append(following, ref)
	}
	return node.without("allOf", "$ref"), following, cmp.Or(lost, notConvertible(path, "combines allOf and references too deeply to inline (is it recursive?)"))
}

// errRecursiveSchema marks the error of a reference that could not be
// inlined because it leads back into itself.
var errRecursiveSchema = errors.New("recursive schema")

// refName names what a local reference points at, for a note: "node" for
// #/$defs/node, "the arguments" for #.
func refName(ref string) string {
	tokens := pointerTokens(strings.TrimPrefix(ref, "#"))
	if len(tokens) == 0 {
		return "the arguments"
	}
	return tokens[len(tokens)-1]
}

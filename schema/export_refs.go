package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// maxMergeDepth bounds how deep allOf branches and the references they follow
// are merged, so that a reference cycle through allOf ends in an error, and
// maxMergeSteps bounds how many branches one allOf may bring in, so that
// branches referring to allOfs of many branches cannot take exponential time.
const (
	maxMergeDepth = 16
	maxMergeSteps = 1000
)

// notConvertible builds the error for the current path; the converter fills
// in Target.
func notConvertible(path, format string, args ...any) *NotConvertibleError {
	return &NotConvertibleError{Path: path, Reason: fmt.Sprintf(format, args...)}
}

// resolveLocalRef finds the schema a local reference (#, #/$defs/name or any
// JSON pointer into the schema) points at.
func resolveLocalRef(root *jsonObject, ref, path string) (any, *NotConvertibleError) {
	if !strings.HasPrefix(ref, "#") {
		return nil, notConvertible(path, "refers to %s, outside this schema; only local references such as #/$defs/name can be exported", strconv.Quote(ref))
	}
	frag := ref[1:]
	if frag != "" && !strings.HasPrefix(frag, "/") {
		return nil, notConvertible(path, "refers to the anchor %s; refer to the schema by its location, such as #/$defs/name, instead", strconv.Quote(ref))
	}
	var cur any = root
	for _, tok := range pointerTokens(frag) {
		switch v := cur.(type) {
		case *jsonObject:
			next, ok := v.get(tok)
			if !ok {
				return nil, notConvertible(path, "refers to %s, which does not exist in this schema", strconv.Quote(ref))
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil, notConvertible(path, "refers to %s, which does not exist in this schema", strconv.Quote(ref))
			}
			cur = v[i]
		default:
			return nil, notConvertible(path, "refers to %s, which does not exist in this schema", strconv.Quote(ref))
		}
	}
	return cur, nil
}

// mergeAllOf folds the branches of node's allOf into one schema. Neither
// provider accepts allOf, and the common uses of it (composing an object from
// parts, adding a description to a reference) merge without loss. Branches
// that disagree on a keyword cannot be merged and are an error.
func mergeAllOf(root, node *jsonObject, path string) (*jsonObject, *NotConvertibleError) {
	steps := 0
	return mergeAllOfDepth(root, node, path, 0, &steps)
}

func mergeAllOfDepth(root, node *jsonObject, path string, depth int, steps *int) (*jsonObject, *NotConvertibleError) {
	allOf, ok := node.get("allOf")
	if !ok {
		return node, nil
	}
	if depth > maxMergeDepth {
		return nil, notConvertible(path, "combines allOf and references too deeply to merge (is it recursive?)")
	}
	if *steps++; *steps > maxMergeSteps {
		return nil, notConvertible(path, "combines too many allOf parts to merge (over %d)", maxMergeSteps)
	}
	branches, ok := allOf.([]any)
	if !ok || len(branches) == 0 {
		return nil, notConvertible(path+".allOf", "must be a non-empty list of schemas")
	}
	merged := node.without("allOf")
	for i, b := range branches {
		bp := path + ".allOf[" + strconv.Itoa(i) + "]"
		branch, ok := b.(*jsonObject)
		if !ok {
			if b == true {
				continue
			}
			return nil, notConvertible(bp, "is the schema false, which no value matches")
		}
		if ref, ok := branch.str("$ref"); ok {
			target, err := resolveLocalRef(root, ref, bp+".$ref")
			if err != nil {
				return nil, err
			}
			targetObj, ok := target.(*jsonObject)
			if !ok {
				return nil, notConvertible(bp+".$ref", "refers to a boolean schema")
			}
			// The branch's own keywords sit beside the reference: merge the
			// target in under them, so that the branch's description wins.
			withTarget := branch.without("$ref")
			if err := mergeInto(withTarget, targetObj, bp); err != nil {
				return nil, err
			}
			branch = withTarget
		}
		branch, err := mergeAllOfDepth(root, branch, bp, depth+1, steps)
		if err != nil {
			return nil, err
		}
		if err := mergeInto(merged, branch, bp); err != nil {
			return nil, err
		}
	}
	// A branch may itself have brought in an allOf through a reference.
	return mergeAllOfDepth(root, merged, path, depth+1, steps)
}

// mergeInto adds the keywords of src to dst: properties and required are
// united, annotations already in dst are kept, and any other keyword must
// agree where both have it.
func mergeInto(dst, src *jsonObject, path string) *NotConvertibleError {
	for _, k := range src.keys {
		v := src.values[k]
		switch k {
		case "properties":
			srcProps, ok := v.(*jsonObject)
			if !ok {
				return notConvertible(path+".properties", "must be an object")
			}
			props := newObject()
			if existing, ok := dst.get("properties"); ok {
				dstProps, ok := existing.(*jsonObject)
				if !ok {
					return notConvertible(path+".properties", "must be an object")
				}
				for _, name := range dstProps.keys {
					props.set(name, dstProps.values[name])
				}
			}
			for _, name := range srcProps.keys {
				if prev, ok := props.get(name); ok && !jsonEqual(prev, srcProps.values[name]) {
					return notConvertible(joinPath(path+".properties", name), "is declared differently in two parts of an allOf, which cannot be merged")
				}
				props.set(name, srcProps.values[name])
			}
			dst.set("properties", props)
		case "required":
			names, ok := stringList(v)
			if !ok {
				return notConvertible(path+".required", "must be a list of property names")
			}
			var all []any
			if existing, ok := dst.get("required"); ok {
				prev, ok := stringList(existing)
				if !ok {
					return notConvertible(path+".required", "must be a list of property names")
				}
				for _, name := range prev {
					all = append(all, name)
				}
			}
			for _, name := range names {
				if !containsValue(all, name) {
					all = append(all, name)
				}
			}
			dst.set("required", all)
		case "description", "title", "$comment", "default", "examples", "deprecated":
			if !dst.has(k) {
				dst.set(k, v)
			}
		case "$schema", "$id", "$defs", "definitions", "$anchor":
			// Only meaningful where they were written; references into
			// $defs are resolved against the root.
		default:
			if prev, ok := dst.get(k); ok && !jsonEqual(prev, v) {
				return notConvertible(path+"."+k, "disagrees with another part of an allOf on %s, which cannot be merged", k)
			}
			dst.set(k, v)
		}
	}
	return nil
}

func containsValue(list []any, v any) bool {
	for _, item := range list {
		if jsonEqual(item, v) {
			return true
		}
	}
	return false
}

// requiredOnlyBranches reports whether every branch of an anyOf or oneOf only
// lists required properties, as in "give a phone number or an email"
// ({"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}), and
// returns the lists.
func requiredOnlyBranches(v any) ([][]string, bool) {
	branches, ok := v.([]any)
	if !ok || len(branches) == 0 {
		return nil, false
	}
	lists := make([][]string, 0, len(branches))
	for _, b := range branches {
		obj, ok := b.(*jsonObject)
		if !ok || !obj.has("required") || !obj.only("required", "description", "title", "$comment") {
			return nil, false
		}
		names, ok := stringList(obj.values["required"])
		if !ok {
			return nil, false
		}
		lists = append(lists, names)
	}
	return lists, true
}

package openapi

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// unresolvedKey is the extension Parse puts in place of a $ref it does not
// follow: a remote one (never fetched) or a local one that points to nothing.
// The objects holding it decode as empty parts of the document, and Convert
// reports the operations that reach one.
const unresolvedKey = "x-toolgate-unresolved-ref"

// markUnresolvedRefs replaces, in the decoded document, every object whose
// $ref is remote or points to nothing with {unresolvedKey: ref}. It reports
// whether it changed anything.
func markUnresolvedRefs(root map[string]any) bool {
	changed := false
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && !resolvable(root, ref) {
				clear(v)
				v[unresolvedKey] = ref
				changed = true
				return
			}
			for _, child := range v {
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(root)
	return changed
}

// resolvable reports whether ref is a local reference ("#/...") to a value
// the document holds.
func resolvable(root map[string]any, ref string) bool {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return false
	}
	if frag == "" {
		return true
	}
	if unescaped, err := url.PathUnescape(frag); err == nil {
		frag = unescaped
	}
	if !strings.HasPrefix(frag, "/") {
		return false // an anchor ("#foo"): resolved by $id, which kin-openapi does not follow
	}
	var cur any = root
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return false
			}
			cur = c[i]
		default:
			return false
		}
	}
	return true
}

// unresolvedRef returns the $ref an object of the document stood for when
// Parse marked it, or "".
func unresolvedRef(ext map[string]any) string {
	if ext == nil {
		return ""
	}
	ref, _ := ext[unresolvedKey].(string)
	return ref
}

// unresolvedReason says why a marked $ref was not followed.
func unresolvedReason(ref string) string {
	if strings.HasPrefix(ref, "#") {
		return "$ref " + ref + " points to nothing in the document"
	}
	return "remote $ref " + ref + " is not fetched; inline it in the document"
}

// cyclicReason says why a local $ref that points somewhere has no value:
// it leads back to itself through other $refs, or to a part of the
// document of another kind.
func cyclicReason(ref string) string {
	return "$ref " + ref + " cannot be resolved: it refers to itself, or to a part of the document of another kind"
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

package openapi

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// nameMaxLen is the longest tool name: ^[a-zA-Z0-9_-]{1,64}$.
const nameMaxLen = 64

// sanitizeName replaces each run of characters outside [A-Za-z0-9_-] with
// one '_' and trims '_' from both ends: "repos/get" → "repos_get",
// "page[size]" → "page_size".
func sanitizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pendingSep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isNameChar(c) {
			if pendingSep && b.Len() > 0 {
				b.WriteByte('_')
			}
			pendingSep = false
			b.WriteByte(c)
			continue
		}
		pendingSep = true
	}
	return strings.Trim(b.String(), "_")
}

func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// baseToolName is the name an operation's tool wants before the prefix and
// uniqueness: its operationId, or method and path ("get_pets_petId") when it
// has none.
func baseToolName(operationID, method, path string) string {
	if n := sanitizeName(operationID); n != "" {
		return n
	}
	m := strings.ToLower(method)
	if p := sanitizeName(path); p != "" {
		return m + "_" + p
	}
	return m
}

// namer hands out unique tool names.
type namer struct {
	prefix string
	taken  func(string) bool
	used   map[string]bool
}

func newNamer(prefix string, taken func(string) bool) *namer {
	if taken == nil {
		taken = func(string) bool { return false }
	}
	return &namer{prefix: prefix, taken: taken, used: map[string]bool{}}
}

// name returns prefix+base made unique: cut to 64 characters (with a hash
// of the whole name so two long names stay apart), then suffixed _2, _3...
// while the name is taken.
func (n *namer) name(base string) string {
	full := fit(n.prefix+base, nameMaxLen)
	name := full
	for i := 2; n.used[name] || n.taken(name); i++ {
		suffix := "_" + strconv.Itoa(i)
		name = fit(n.prefix+base, nameMaxLen-len(suffix)) + suffix
	}
	n.used[name] = true
	return name
}

// fit cuts name to max bytes, ending it with a hash of the whole name when
// it is cut.
func fit(name string, max int) string {
	if len(name) <= max {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	tag := fmt.Sprintf("_%06x", h.Sum32()&0xffffff)
	return strings.TrimRight(name[:max-len(tag)], "_-") + tag
}

// argNamer hands out the unique argument names of one tool.
type argNamer struct {
	used map[string]bool
}

func newArgNamer() *argNamer { return &argNamer{used: map[string]bool{}} }

// name returns an argument name for a parameter or property called
// original: the name itself when it is free, else prefix_name, else with a
// number.
func (a *argNamer) name(original, prefix string) string {
	base := sanitizeName(original)
	if base == "" {
		base = "value"
	}
	candidates := []string{base}
	if prefix != "" {
		candidates = append(candidates, prefix+"_"+base)
	}
	for _, c := range candidates {
		if !a.used[c] {
			a.used[c] = true
			return c
		}
	}
	last := candidates[len(candidates)-1]
	for i := 2; ; i++ {
		c := last + "_" + strconv.Itoa(i)
		if !a.used[c] {
			a.used[c] = true
			return c
		}
	}
}

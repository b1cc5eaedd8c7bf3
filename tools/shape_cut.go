package tools

import (
	"encoding/json"
	"strconv"
)

// Structural truncation of a JSON result (see Shape): a result too long for
// response.max_bytes keeps its type and stays valid JSON.
//
// The rule, in order of preference:
//
//  1. Arrays and strings are shortened before any object member is
//     dropped. An array keeps its first items and ends with the string
//     "…[truncated: N more items]"; a string keeps its first characters and
//     ends with "…[truncated: showing N of M bytes]" (N and M count bytes of
//     the string's text).
//  2. Earlier values are kept before later ones: the budget left over once
//     every array and string is at its shortest goes to values in document
//     order, so the end of the document is cut first.
//  3. Only when even that does not fit are object members dropped, last
//     first; such an object ends with the member "_truncated": "N more
//     fields". The last member kept may itself be cut the same way.
//
// Numbers, booleans and null are never cut: they are kept whole or dropped.

// Markers of structural truncation.
const (
	// TruncatedMember is the member a cut object ends with.
	TruncatedMember = "_truncated"
)

// moreItems is the marker item ending a cut array.
func moreItems(n int) string {
	if n == 1 {
		return "…[truncated: 1 more item]"
	}
	return "…[truncated: " + strconv.Itoa(n) + " more items]"
}

// moreFields is the value of the marker member ending a cut object.
func moreFields(n int) string {
	if n == 1 {
		return "1 more field"
	}
	return strconv.Itoa(n) + " more fields"
}

// jsonNode is one value of a compact JSON document: its span, the length
// of its shortest cut form, and its children (members of an object with
// their keys' spans).
type jsonNode struct {
	kind       byte // '{', '[', '"', or 0 for numbers, booleans and null
	start, end int
	min        int
	keys       [][2]int
	kids       []*jsonNode
}

func (n *jsonNode) size() int { return n.end - n.start }

// cutJSON cuts doc, a valid compact JSON document longer than maxBytes,
// to at most maxBytes by the rule above. ok is false when the document is
// a number, boolean or null, or when even its shortest cut form does not
// fit; the caller then falls back to text truncation.
func cutJSON(doc []byte, maxBytes int) (out []byte, ok bool) {
	c := &jsonCutter{doc: doc}
	root, _ := c.parse(0)
	if root == nil || root.kind == 0 {
		return nil, false
	}
	out, ok = c.fit(make([]byte, 0, maxBytes), root, maxBytes)
	if !ok || !json.Valid(out) {
		return nil, false // cannot happen: fit succeeds at or above min
	}
	return out, true
}

type jsonCutter struct {
	doc []byte
}

func (c *jsonCutter) skipSpace(i int) int {
	for i < len(c.doc) {
		switch c.doc[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// parse reads the value at i of the (valid) document.
func (c *jsonCutter) parse(i int) (*jsonNode, int) {
	b := c.doc
	i = c.skipSpace(i)
	if i >= len(b) {
		return nil, i
	}
	n := &jsonNode{kind: b[i], start: i}
	switch b[i] {
	case '{', '[':
		closer := byte('}')
		if b[i] == '[' {
			closer = ']'
		}
		i = c.skipSpace(i + 1)
		for i < len(b) && b[i] != closer {
			if n.kind == '{' {
				keyEnd := c.scanString(i)
				n.keys = append(n.keys, [2]int{i, keyEnd})
				i = c.skipSpace(keyEnd)
				i = c.skipSpace(i + 1) // ':'
			}
			kid, next := c.parse(i)
			if kid == nil {
				return nil, next
			}
			n.kids = append(n.kids, kid)
			i = c.skipSpace(next)
			if i < len(b) && b[i] == ',' {
				i = c.skipSpace(i + 1)
			}
		}
		n.end = i + 1
	case '"':
		n.end = c.scanString(i)
	default:
		n.kind = 0
		for i < len(b) {
			switch b[i] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				n.end = i
				n.min = n.size()
				return n, i
			}
			i++
		}
		n.end = i
	}
	n.min = c.minSize(n)
	return n, n.end
}

// scanString returns the end of the string starting at i.
func (c *jsonCutter) scanString(i int) int {
	b := c.doc
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// minSize is the length of n's shortest cut form that keeps every object
// member: arrays down to their marker, strings down to theirs.
func (c *jsonCutter) minSize(n *jsonNode) int {
	switch n.kind {
	case '"':
		// The text is at most the raw length less the quotes, which bounds
		// the marker's numbers.
		return min(n.size(), stringMarkerMax(n.size()-2))
	case '[':
		if len(n.kids) == 0 {
			return n.size()
		}
		return min(n.size(), 2+len(appendJSONString(nil, moreItems(len(n.kids)))))
	case '{':
		total := 2 + max(len(n.kids)-1, 0)
		for i, kid := range n.kids {
			total += n.keys[i][1] - n.keys[i][0] + 1 + kid.min
		}
		return min(n.size(), total)
	}
	return n.size()
}

// stringMarkerMax bounds the length of a cut string of at most textLen
// bytes that shows none of its text.
func stringMarkerMax(textLen int) int {
	return 2 + len(truncationMarker(textLen, textLen))
}

// fit appends n in at most budget bytes, whole when it fits, else cut.
// It succeeds whenever budget >= n.min.
func (c *jsonCutter) fit(out []byte, n *jsonNode, budget int) ([]byte, bool) {
	if n.size() <= budget {
		return append(out, c.doc[n.start:n.end]...), true
	}
	switch n.kind {
	case '"':
		var text string
		if json.Unmarshal(c.doc[n.start:n.end], &text) != nil {
			return out, false
		}
		limit := budget - len(truncationMarker(len(text), len(text)))
		if limit < 2 {
			return out, false
		}
		return append(out, truncateJSONString(text, limit)...), true
	case '[':
		return c.fitArray(out, n, budget)
	case '{':
		return c.fitObject(out, n, budget)
	}
	return out, false
}

// fitArray keeps the array's first items, the last one kept possibly cut,
// and ends it with the count of items dropped.
func (c *jsonCutter) fitArray(out []byte, n *jsonNode, budget int) ([]byte, bool) {
	markerMax := len(appendJSONString(nil, moreItems(len(n.kids))))
	if 2+markerMax > budget {
		return out, false
	}
	avail := budget - 2 - 1 - markerMax // brackets, comma and marker
	out = append(out, '[')
	kept := 0
	for _, kid := range n.kids {
		sep := min(kept, 1)
		if sep+kid.size() <= avail {
			if sep == 1 {
				out = append(out, ',')
			}
			out = append(out, c.doc[kid.start:kid.end]...)
			avail -= sep + kid.size()
			kept++
			continue
		}
		if room := avail - sep; room > 0 {
			mark := len(out)
			if sep == 1 {
				out = append(out, ',')
			}
			var ok bool
			if out, ok = c.fit(out, kid, room); ok {
				kept++
			} else {
				out = out[:mark]
			}
		}
		break
	}
	if dropped := len(n.kids) - kept; dropped > 0 {
		if kept > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, moreItems(dropped))
	}
	return append(out, ']'), true
}

// fitObject keeps every member with its arrays and strings shortened when
// that fits; else it keeps the first members and ends the object with the
// count of members dropped.
func (c *jsonCutter) fitObject(out []byte, n *jsonNode, budget int) ([]byte, bool) {
	member := func(i int) int { return n.keys[i][1] - n.keys[i][0] + 1 }
	if n.min <= budget {
		slack := budget - n.min
		out = append(out, '{')
		for i, kid := range n.kids {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, c.doc[n.keys[i][0]:n.keys[i][1]]...)
			out = append(out, ':')
			before := len(out)
			out, _ = c.fit(out, kid, kid.min+slack)
			slack -= len(out) - before - kid.min
		}
		return append(out, '}'), true
	}

	markerKey := c.markerKey(n)
	markerMax := len(markerKey) + 1 + len(appendJSONString(nil, moreFields(len(n.kids))))
	if 2+markerMax > budget {
		return out, false
	}
	avail := budget - 2 - 1 - markerMax // braces, comma and marker
	// The longest run of first members that fits at their shortest.
	whole, need := 0, 0
	for i, kid := range n.kids {
		add := min(i, 1) + member(i) + kid.min
		if need+add > avail {
			break
		}
		need += add
		whole++
	}
	slack := avail - need
	out = append(out, '{')
	for i := range whole {
		kid := n.kids[i]
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, c.doc[n.keys[i][0]:n.keys[i][1]]...)
		out = append(out, ':')
		before := len(out)
		out, _ = c.fit(out, kid, kid.min+slack)
		slack -= len(out) - before - kid.min
	}
	kept := whole
	// The next member, cut further (its own members dropped), when it fits.
	if whole < len(n.kids) {
		sep := min(whole, 1)
		if room := slack - sep - member(whole); room > 0 {
			mark := len(out)
			if sep == 1 {
				out = append(out, ',')
			}
			out = append(out, c.doc[n.keys[whole][0]:n.keys[whole][1]]...)
			out = append(out, ':')
			var ok bool
			if out, ok = c.fit(out, n.kids[whole], room); ok {
				kept++
			} else {
				out = out[:mark]
			}
		}
	}
	if dropped := len(n.kids) - kept; dropped > 0 {
		if kept > 0 {
			out = append(out, ',')
		}
		out = append(out, markerKey...)
		out = append(out, ':')
		out = appendJSONString(out, moreFields(dropped))
	}
	return append(out, '}'), true
}

// markerKey is the encoded key of the marker member: "_truncated", with
// underscores added while the object already has a member of that name.
func (c *jsonCutter) markerKey(n *jsonNode) []byte {
	name := TruncatedMember
	for taken := true; taken; {
		taken = false
		key := string(appendJSONString(nil, name))
		for _, k := range n.keys {
			if string(c.doc[k[0]:k[1]]) == key {
				taken = true
				name += "_"
				break
			}
		}
	}
	return appendJSONString(nil, name)
}

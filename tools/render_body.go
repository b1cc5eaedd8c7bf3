package tools

import (
	"encoding/json"
	"strconv"
)

// bodyKind is the kind of a node of a body template.
type bodyKind int

const (
	bodyRaw      bodyKind = iota // JSON without placeholders, pre-encoded
	bodyTemplate                 // a string with placeholders
	bodyObject
	bodyArray
)

// bodyNode is a compiled body template: subtrees without placeholders are
// pre-encoded, so rendering copies them.
type bodyNode struct {
	kind   bodyKind
	raw    []byte
	t      *Template
	field  string // "body.customer.name"
	fields []bodyField
	elems  []*bodyNode
	// optional: a string that is exactly one args or optional context
	// placeholder, as an object's field: the field is dropped when the
	// value is missing.
	optional bool
}

type bodyField struct {
	key  []byte // `"name":`
	node *bodyNode
}

// compileBody reads one JSON value from dec. inObject says the value is an
// object field's, which may be dropped.
func compileBody(dec *json.Decoder, field string, inObject bool, flags parseFlags, phs *[]Placeholder) (*bodyNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, &ParseError{Field: field, Offset: -1, Reason: "body is not valid JSON: " + err.Error()}
	}
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			n := &bodyNode{kind: bodyObject, field: field}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, &ParseError{Field: field, Offset: -1, Reason: "body is not valid JSON: " + err.Error()}
				}
				key := kt.(string)
				child, err := compileBody(dec, field+"."+key, true, flags, phs)
				if err != nil {
					return nil, err
				}
				k := appendJSONString(nil, key)
				n.fields = append(n.fields, bodyField{key: append(k, ':'), node: child})
			}
			if _, err := dec.Token(); err != nil {
				return nil, &ParseError{Field: field, Offset: -1, Reason: "body is not valid JSON: " + err.Error()}
			}
			n.collapse()
			return n, nil
		}
		n := &bodyNode{kind: bodyArray, field: field}
		for dec.More() {
			child, err := compileBody(dec, field+"["+strconv.Itoa(len(n.elems))+"]", false, flags, phs)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, child)
		}
		if _, err := dec.Token(); err != nil {
			return nil, &ParseError{Field: field, Offset: -1, Reason: "body is not valid JSON: " + err.Error()}
		}
		n.collapse()
		return n, nil
	case string:
		t, err := parseField(field, tok, flags, inObject)
		if err != nil {
			return nil, err
		}
		if !t.HasPlaceholders() {
			return &bodyNode{kind: bodyRaw, raw: appendJSONString(nil, tok)}, nil
		}
		*phs = append(*phs, t.placeholders...)
		return &bodyNode{kind: bodyTemplate, t: t, field: field,
			optional: inObject && dropsWhenMissing(t) != nil}, nil
	case json.Number:
		return &bodyNode{kind: bodyRaw, raw: []byte(tok)}, nil
	case bool:
		return &bodyNode{kind: bodyRaw, raw: strconv.AppendBool(nil, tok)}, nil
	default: // nil
		return &bodyNode{kind: bodyRaw, raw: []byte("null")}, nil
	}
}

// collapse pre-encodes an object or array whose children are all raw.
func (n *bodyNode) collapse() {
	var raw []byte
	switch n.kind {
	case bodyObject:
		raw = append(raw, '{')
		for i, f := range n.fields {
			if f.node.kind != bodyRaw {
				return
			}
			if i > 0 {
				raw = append(raw, ',')
			}
			raw = append(raw, f.key...)
			raw = append(raw, f.node.raw...)
		}
		raw = append(raw, '}')
	case bodyArray:
		raw = append(raw, '[')
		for i, e := range n.elems {
			if e.kind != bodyRaw {
				return
			}
			if i > 0 {
				raw = append(raw, ',')
			}
			raw = append(raw, e.raw...)
		}
		raw = append(raw, ']')
	default:
		return
	}
	*n = bodyNode{kind: bodyRaw, raw: raw}
}

// render appends the node's JSON to buf. dropped is true (and nothing is
// appended) when an optional field's argument is missing.
func (n *bodyNode) render(buf []byte, s *Scope) (out []byte, dropped bool, err error) {
	switch n.kind {
	case bodyRaw:
		return append(buf, n.raw...), false, nil
	case bodyObject:
		buf = append(buf, '{')
		first := true
		for _, f := range n.fields {
			mark := len(buf)
			if !first {
				buf = append(buf, ',')
			}
			buf = append(buf, f.key...)
			var dropped bool
			if buf, dropped, err = f.node.render(buf, s); err != nil {
				return nil, false, err
			}
			if dropped {
				buf = buf[:mark]
				continue
			}
			first = false
		}
		return append(buf, '}'), false, nil
	case bodyArray:
		buf = append(buf, '[')
		for i, e := range n.elems {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, _, err = e.render(buf, s); err != nil {
				return nil, false, err
			}
		}
		return append(buf, ']'), false, nil
	}
	// bodyTemplate
	if ph := n.t.single(); ph != nil {
		v, ok := s.Lookup(ph)
		if !ok {
			if n.optional {
				return buf, true, nil
			}
			return nil, false, missingError(n.field, ph)
		}
		if buf, err = appendJSONValue(buf, v); err != nil {
			return nil, false, &RenderError{Field: n.field, Placeholder: ph.Raw, Kind: kindOf(ph.Root),
				Reason: "value cannot be encoded as JSON: " + err.Error()}
		}
		return buf, false, nil
	}
	buf = append(buf, '"')
	err = n.t.expand(n.t.parts, n.field, s, func(text string, _ *Placeholder) error {
		buf = appendJSONChars(buf, text)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return append(buf, '"'), false, nil
}

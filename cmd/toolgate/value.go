package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// value is a JSON value read from a workspace file (YAML or JSON) or from
// the gateway: objects keep their members' order, numbers their text, and
// every value the line it was written on, so that an error can point at
// it and an exported file reads like the one applied.
type value struct {
	kind valueKind
	// keys and members are an object's, in order.
	keys    []string
	members []*value
	// items are an array's.
	items []*value
	// raw is a scalar's JSON text: null, true, false, a number or a
	// quoted string.
	raw string
	// line is where the value starts in its file (1-based); 0 when it did
	// not come from a file.
	line int
}

type valueKind int

const (
	scalarValue valueKind = iota
	objectValue
	arrayValue
)

// stringValue is a JSON string.
func stringValue(s string) *value {
	return &value{kind: scalarValue, raw: jsonString(s)}
}

// jsonString is s as a JSON string, without HTML escapes.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}

// get returns an object's member, or nil.
func (v *value) get(key string) *value {
	if v == nil || v.kind != objectValue {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
			return v.members[i]
		}
	}
	return nil
}

// remove deletes an object's member and returns it (nil when absent).
func (v *value) remove(key string) *value {
	if v == nil || v.kind != objectValue {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
			m := v.members[i]
			v.keys = append(v.keys[:i:i], v.keys[i+1:]...)
			v.members = append(v.members[:i:i], v.members[i+1:]...)
			return m
		}
	}
	return nil
}

// set sets an object's member, in place when it exists, else last.
func (v *value) set(key string, m *value) {
	for i, k := range v.keys {
		if k == key {
			v.members[i] = m
			return
		}
	}
	v.keys = append(v.keys, key)
	v.members = append(v.members, m)
}

// str returns a string scalar's text.
func (v *value) str() (string, bool) {
	if v == nil || v.kind != scalarValue || !strings.HasPrefix(v.raw, `"`) {
		return "", false
	}
	var s string
	if err := json.Unmarshal([]byte(v.raw), &s); err != nil {
		return "", false
	}
	return s, true
}

// isNull reports whether v is JSON null.
func (v *value) isNull() bool { return v != nil && v.kind == scalarValue && v.raw == "null" }

// typeName names v's JSON type for messages.
func (v *value) typeName() string {
	switch {
	case v.kind == objectValue:
		return "an object"
	case v.kind == arrayValue:
		return "a list"
	case v.raw == "null":
		return "null"
	case v.raw == "true" || v.raw == "false":
		return "a boolean"
	case strings.HasPrefix(v.raw, `"`):
		return "a string"
	}
	return "a number"
}

// JSON is v's JSON text.
func (v *value) JSON() []byte {
	var buf bytes.Buffer
	v.writeJSON(&buf)
	return buf.Bytes()
}

func (v *value) writeJSON(buf *bytes.Buffer) {
	switch v.kind {
	case objectValue:
		buf.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(jsonString(k))
			buf.WriteByte(':')
			v.members[i].writeJSON(buf)
		}
		buf.WriteByte('}')
	case arrayValue:
		buf.WriteByte('[')
		for i, item := range v.items {
			if i > 0 {
				buf.WriteByte(',')
			}
			item.writeJSON(buf)
		}
		buf.WriteByte(']')
	default:
		buf.WriteString(v.raw)
	}
}

// at finds the value a field path names ("input_schema.properties.age",
// "tools[0].name"): the deepest value it reaches, so that a path into
// something the file does not hold still points near it. A member whose
// name holds dots ("headers.X.Y") is found too.
func (v *value) at(path string) *value {
	cur := v
	segments := splitPath(path)
	for i := 0; i < len(segments) && cur != nil; i++ {
		seg := segments[i]
		if n, ok := seg.index(); ok {
			if cur.kind != arrayValue || n < 0 || n >= len(cur.items) {
				return cur
			}
			cur = cur.items[n]
			continue
		}
		next := cur.get(seg.name)
		// A member named with dots: try the longest run of segments.
		for j := len(segments); next == nil && j > i+1; j-- {
			if joined, ok := joinNames(segments[i:j]); ok {
				if m := cur.get(joined); m != nil {
					next, i = m, j-1
				}
			}
		}
		if next == nil {
			return cur
		}
		cur = next
	}
	return cur
}

// pathSegment is a member name or an [index].
type pathSegment struct {
	name    string
	indexed bool
}

func (s pathSegment) index() (int, bool) {
	if !s.indexed {
		return 0, false
	}
	n, err := strconv.Atoi(s.name)
	return n, err == nil
}

// splitPath splits "a.b[2].c" into a, b, [2], c.
func splitPath(path string) []pathSegment {
	var out []pathSegment
	for part := range strings.SplitSeq(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" || rest == "" {
			out = append(out, pathSegment{name: name})
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				break
			}
			out = append(out, pathSegment{name: idx, indexed: true})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}

// joinNames joins member-name segments with dots.
func joinNames(segs []pathSegment) (string, bool) {
	names := make([]string, len(segs))
	for i, s := range segs {
		if s.indexed {
			return "", false
		}
		names[i] = s.name
	}
	return strings.Join(names, "."), true
}

// valueOfJSON reads one JSON value, keeping its members' order; duplicate
// member names are refused. Lines are counted in data.
func valueOfJSON(data []byte) (*value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	r := jsonReader{dec: dec, data: data}
	v, err := r.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, &positionError{line: r.lineAt(dec.InputOffset()), msg: "data after the JSON value"}
	}
	return v, nil
}

// positionError is a problem at a line of a file.
type positionError struct {
	line int
	msg  string
}

func (e *positionError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return e.msg
}

// jsonValueDepthMax bounds the nesting of a workspace file's values.
const jsonValueDepthMax = 1000

type jsonReader struct {
	dec  *json.Decoder
	data []byte
	// line counts the newlines before offset, incrementally.
	offset, line int
}

// lineAt is the 1-based line of a byte offset (offsets only grow).
func (r *jsonReader) lineAt(offset int64) int {
	end := min(int(offset), len(r.data))
	if end > r.offset {
		r.line += bytes.Count(r.data[r.offset:end], []byte{'\n'})
		r.offset = end
	}
	return r.line + 1
}

func (r *jsonReader) token() (json.Token, int, error) {
	// The token starts after the whitespace following the last offset.
	start := r.dec.InputOffset()
	for int(start) < len(r.data) && strings.IndexByte(" \t\r\n,:", r.data[start]) >= 0 {
		start++
	}
	line := r.lineAt(start)
	tok, err := r.dec.Token()
	if err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, line, &positionError{line: r.lineAt(syntax.Offset), msg: "invalid JSON: " + syntax.Error()}
		}
		return nil, line, &positionError{line: line, msg: "invalid JSON: " + err.Error()}
	}
	return tok, line, nil
}

func (r *jsonReader) value(depth int) (*value, error) {
	tok, line, err := r.token()
	if err != nil {
		return nil, err
	}
	return r.valueFrom(tok, line, depth)
}

func (r *jsonReader) valueFrom(tok json.Token, line, depth int) (*value, error) {
	if depth > jsonValueDepthMax {
		return nil, &positionError{line: line, msg: "nested too deeply"}
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &value{kind: objectValue, line: line}
			seen := map[string]bool{}
			for r.dec.More() {
				ktok, kline, err := r.token()
				if err != nil {
					return nil, err
				}
				key, _ := ktok.(string)
				if seen[key] {
					return nil, &positionError{line: kline, msg: fmt.Sprintf("member %q is repeated", key)}
				}
				seen[key] = true
				m, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				v.keys, v.members = append(v.keys, key), append(v.members, m)
			}
			if _, _, err := r.token(); err != nil { // }
				return nil, err
			}
			return v, nil
		case '[':
			v := &value{kind: arrayValue, line: line}
			for r.dec.More() {
				item, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				v.items = append(v.items, item)
			}
			if _, _, err := r.token(); err != nil { // ]
				return nil, err
			}
			return v, nil
		}
		return nil, &positionError{line: line, msg: fmt.Sprintf("invalid JSON: unexpected %q", t)}
	case string:
		return &value{raw: jsonString(t), line: line}, nil
	case json.Number:
		return &value{raw: t.String(), line: line}, nil
	case bool:
		return &value{raw: strconv.FormatBool(t), line: line}, nil
	case nil:
		return &value{raw: "null", line: line}, nil
	}
	return nil, &positionError{line: line, msg: fmt.Sprintf("invalid JSON token %v", tok)}
}

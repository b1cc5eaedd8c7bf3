package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"slices"

	"github.com/tidwall/gjson"
)

// jsonObject is a decoded JSON object that remembers the order of its
// members. Exported schemas keep the order the tool's author wrote: models
// fill arguments in the order properties are listed, and a golden file is
// only readable when it follows its input.
//
// Decoded values are nil, bool, json.Number, string, []any and *jsonObject.
type jsonObject struct {
	keys   []string
	values map[string]any
}

func newObject() *jsonObject {
	return &jsonObject{values: make(map[string]any)}
}

// get returns the value of member key.
func (o *jsonObject) get(key string) (any, bool) {
	v, ok := o.values[key]
	return v, ok
}

// has reports whether the object has a member key.
func (o *jsonObject) has(key string) bool {
	_, ok := o.values[key]
	return ok
}

// str returns the value of member key when it is a string.
func (o *jsonObject) str(key string) (string, bool) {
	s, ok := o.values[key].(string)
	return s, ok
}

// set replaces the value of member key in place, or appends the member.
func (o *jsonObject) set(key string, v any) {
	if _, ok := o.values[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.values[key] = v
}

// setFirst is set, but a new member goes first.
func (o *jsonObject) setFirst(key string, v any) {
	if _, ok := o.values[key]; !ok {
		o.keys = slices.Insert(o.keys, 0, key)
	}
	o.values[key] = v
}

// del removes member key, if there is one.
func (o *jsonObject) del(key string) {
	if _, ok := o.values[key]; !ok {
		return
	}
	delete(o.values, key)
	o.keys = slices.DeleteFunc(o.keys, func(k string) bool { return k == key })
}

// only reports whether every member of the object is one of keys.
func (o *jsonObject) only(keys ...string) bool {
	for _, k := range o.keys {
		if !slices.Contains(keys, k) {
			return false
		}
	}
	return true
}

// without returns a shallow copy of the object minus the named members.
func (o *jsonObject) without(keys ...string) *jsonObject {
	out := newObject()
	for _, k := range o.keys {
		if !slices.Contains(keys, k) {
			out.set(k, o.values[k])
		}
	}
	return out
}

// MarshalJSON implements [json.Marshaler], keeping member order.
func (o *jsonObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := appendJSON(&buf, o); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeOrdered decodes one JSON value, keeping object member order and
// numbers exactly as written. Trailing data is an error.
func decodeOrdered(data []byte) (any, error) {
	if !gjson.ValidBytes(data) {
		// Let the standard library say what is wrong.
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return nil, errors.New("invalid JSON")
	}
	return fromResult(gjson.ParseBytes(data)), nil
}

// fromResult converts a parsed, valid JSON value.
func fromResult(r gjson.Result) any {
	switch r.Type {
	case gjson.Null:
		return nil
	case gjson.False:
		return false
	case gjson.True:
		return true
	case gjson.Number:
		return json.Number(r.Raw)
	case gjson.String:
		return r.Str
	}
	if r.IsArray() {
		list := []any{}
		r.ForEach(func(_, item gjson.Result) bool {
			list = append(list, fromResult(item))
			return true
		})
		return list
	}
	obj := newObject()
	r.ForEach(func(key, value gjson.Result) bool {
		obj.set(key.Str, fromResult(value))
		return true
	})
	return obj
}

// encodeJSON renders a decoded value as compact JSON.
func encodeJSON(v any) json.RawMessage {
	var buf bytes.Buffer
	if err := appendJSON(&buf, v); err != nil {
		// Only values this package built are encoded; they are all
		// encodable. Fall back to the standard encoder's rendering.
		b, _ := json.Marshal(v)
		return b
	}
	return buf.Bytes()
}

// appendJSON writes v as compact JSON, without escaping <, > and & (patterns
// and descriptions are read by models, not embedded in HTML).
func appendJSON(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if v {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case json.Number:
		buf.WriteString(v.String())
	case string:
		appendString(buf, v)
	case []any:
		buf.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := appendJSON(buf, item); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case *jsonObject:
		buf.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			appendString(buf, k)
			buf.WriteByte(':')
			if err := appendJSON(buf, v.values[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
}

func appendString(buf *bytes.Buffer, s string) {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			plain = false
			break
		}
	}
	if plain {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	buf.Truncate(buf.Len() - 1)
}

// jsonEqual reports whether two decoded values are the same JSON, ignoring
// member order.
func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case *jsonObject:
		b, ok := b.(*jsonObject)
		if !ok || len(a.keys) != len(b.keys) {
			return false
		}
		for k, av := range a.values {
			bv, ok := b.values[k]
			if !ok || !jsonEqual(av, bv) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		return ok && slices.EqualFunc(a, b, jsonEqual)
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			return false
		}
		if a == b {
			return true
		}
		ra, okA := ratOf(a)
		rb, okB := ratOf(b)
		return okA && okB && ra.Cmp(rb) == 0
	}
	return a == b
}

// valueText renders a decoded value as compact JSON for a description note.
func valueText(v any) string {
	return string(encodeJSON(v))
}

// ratOf reads a JSON number exactly.
func ratOf(n json.Number) (*big.Rat, bool) {
	return new(big.Rat).SetString(n.String())
}

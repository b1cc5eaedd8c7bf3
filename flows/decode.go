package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/toolgate/toolgate/tools"
)

// DefinitionMaxBytes bounds a definition's JSON.
const DefinitionMaxBytes = 1 << 20

// decodeIssuesMax bounds the problems one DecodeError lists.
const decodeIssuesMax = 50

// DecodeError is a definition that is not well-formed: malformed JSON, an
// unknown field, a field of the wrong type or a key given twice. Each issue
// names its path (states.fetch_order.actions[0].method).
type DecodeError struct {
	Issues []tools.FieldError
}

// Error implements error.
func (e *DecodeError) Error() string {
	parts := make([]string, 0, len(e.Issues))
	for _, is := range e.Issues {
		if is.Path == "" {
			parts = append(parts, is.Message)
			continue
		}
		parts = append(parts, is.Path+": "+is.Message)
	}
	return "invalid flow definition: " + strings.Join(parts, "; ")
}

// Decode decodes a definition strictly: every field must be one the
// definition has (exactly as spelled), of its type, given once; anything
// else is a *DecodeError listing each problem with its path. Empty input
// is an empty definition.
func Decode(data []byte) (*Definition, error) {
	if len(data) > DefinitionMaxBytes {
		return nil, &DecodeError{Issues: []tools.FieldError{{Message: fmt.Sprintf("is larger than %d bytes", DefinitionMaxBytes)}}}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &Definition{}, nil
	}
	c := checker{dec: json.NewDecoder(bytes.NewReader(data))}
	c.dec.UseNumber()
	if err := c.value(reflect.TypeFor[Definition](), ""); err != nil {
		c.add("", "is not valid JSON: "+err.Error())
	} else if _, err := c.dec.Token(); err != io.EOF {
		c.add("", "has data after the definition object")
	}
	if len(c.issues) > 0 {
		return nil, &DecodeError{Issues: c.issues}
	}
	var def Definition
	if err := json.Unmarshal(data, &def); err != nil {
		// The checker accepted the document, so this cannot happen for
		// well-formed input; report it rather than panic.
		return nil, &DecodeError{Issues: []tools.FieldError{{Message: err.Error()}}}
	}
	return &def, nil
}

// checker walks a JSON document's tokens alongside the Go type it must
// decode into, collecting each mismatch with its path.
type checker struct {
	dec    *json.Decoder
	issues []tools.FieldError
}

func (c *checker) add(path, msg string) {
	if len(c.issues) < decodeIssuesMax {
		c.issues = append(c.issues, tools.FieldError{Path: path, Message: msg})
	}
}

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	rawObjectType  = reflect.TypeFor[RawObject]()
)

// value checks the next JSON value against t. It returns an error only
// when the JSON itself is malformed; mismatches are collected.
func (c *checker) value(t reflect.Type, path string) error {
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	if t.Kind() == reflect.Pointer {
		if tok == nil {
			return nil
		}
		t = t.Elem()
	}
	switch {
	case t == rawMessageType:
		return c.skip(tok)
	case t == rawObjectType:
		if d, ok := tok.(json.Delim); !(ok && d == '{') && tok != nil {
			c.add(path, "must be a JSON object")
		}
		return c.skip(tok)
	}
	switch t.Kind() {
	case reflect.Struct:
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			c.add(path, "must be an object")
			return c.skip(tok)
		}
		fields := jsonFields(t)
		return c.object(path, func(key, keyPath string) error {
			ft, ok := fields[key]
			if !ok {
				c.add(keyPath, fmt.Sprintf("unknown field; %s has %s", describe(path), strings.Join(fieldNames(t), ", ")))
				return c.skipNext()
			}
			return c.value(ft, keyPath)
		})
	case reflect.Map:
		if tok == nil {
			return nil
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			c.add(path, "must be an object")
			return c.skip(tok)
		}
		return c.object(path, func(_, keyPath string) error { return c.value(t.Elem(), keyPath) })
	case reflect.Slice:
		if tok == nil {
			return nil
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			c.add(path, "must be an array")
			return c.skip(tok)
		}
		for i := 0; c.dec.More(); i++ {
			if err := c.value(t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, err := c.dec.Token() // ]
		return err
	case reflect.String:
		if _, ok := tok.(string); !ok {
			c.add(path, "must be a string")
			return c.skip(tok)
		}
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			c.add(path, "must be true or false")
			return c.skip(tok)
		}
	case reflect.Int:
		n, ok := tok.(json.Number)
		if !ok {
			c.add(path, "must be an integer")
			return c.skip(tok)
		}
		if _, err := strconv.ParseInt(string(n), 10, 32); err != nil {
			c.add(path, "must be an integer")
		}
	default:
		return c.skip(tok)
	}
	return nil
}

// object checks the members of an object whose '{' was read, calling member
// for each key not seen before.
func (c *checker) object(path string, member func(key, keyPath string) error) error {
	seen := map[string]bool{}
	for c.dec.More() {
		tok, err := c.dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		keyPath := key
		if path != "" {
			keyPath = path + "." + key
		}
		if seen[key] {
			c.add(keyPath, "is given twice")
			if err := c.skipNext(); err != nil {
				return err
			}
			continue
		}
		seen[key] = true
		if err := member(key, keyPath); err != nil {
			return err
		}
	}
	_, err := c.dec.Token() // }
	return err
}

// skipNext consumes the next value.
func (c *checker) skipNext() error {
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	return c.skip(tok)
}

// skip consumes the rest of a value whose first token was tok.
func (c *checker) skip(tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := c.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
	}
	return nil
}

// jsonFields maps the JSON names of t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if name := jsonName(f); name != "" {
			fields[name] = f.Type
		}
	}
	return fields
}

// fieldNames lists the JSON names of t's fields in declaration order.
func fieldNames(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if name := jsonName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	return names
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// describe names what the object at path is, for messages.
func describe(path string) string {
	switch {
	case path == "":
		return "a flow"
	case strings.HasSuffix(path, ".input"):
		return "an input"
	case strings.HasSuffix(path, "]") && strings.Contains(path, ".actions["):
		return "an action"
	case strings.HasSuffix(path, "]") && strings.Contains(path, ".transitions["):
		return "a transition"
	}
	return "a state"
}

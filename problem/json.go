package problem

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// DecodeJSON decodes data into v strictly: unknown fields, trailing data and
// malformed JSON are BadRequest problems that say what is wrong (and name
// the field when there is one).
func DecodeJSON(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return BadRequestf("", "request body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return FromJSON(err)
	}
	if dec.More() {
		return BadRequestf("", "request body has data after the JSON value")
	}
	return nil
}

// FromJSON turns an encoding/json decoding error into a BadRequest problem
// naming the place or field at fault.
func FromJSON(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return BadRequestf("", "malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(root)"
		}
		return BadRequestf(field, "field %s: expected %s, got JSON %s", field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequestf("", "malformed JSON: unexpected end of input")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return BadRequestf(name, "unknown field %q", name)
	}
	return BadRequestf("", "malformed JSON: %s", err.Error())
}

package flows

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/toolgate/toolgate/schema"
)

// inputValue is the property the wrapped input schema gives the message.
const inputValue = "value"

// compileInputSchema compiles a state's input schema with package schema,
// which compiles object schemas only: the schema of the message becomes the
// one required property of an object ($defs and definitions move to the
// root, where their references point). An empty schema is nil: any message.
func compileInputSchema(raw json.RawMessage) (*schema.Schema, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &doc); err != nil {
		if trimmed[0] == 't' || trimmed[0] == 'f' { // true and false are schemas too
			return schema.Compile(wrapSchema(nil, trimmed))
		}
		return nil, &schema.CompileError{Path: schema.RootPath, Message: "must be a JSON Schema object, such as {\"type\": \"string\"}"}
	}
	hoisted := map[string]json.RawMessage{}
	for _, key := range []string{"$schema", "$defs", "definitions"} {
		if v, ok := doc[key]; ok {
			hoisted[key] = v
			delete(doc, key)
		}
	}
	inner, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return schema.Compile(wrapSchema(hoisted, inner))
}

// wrapSchema returns {hoisted..., "type": "object", "properties": {"value":
// inner}, "required": ["value"]}.
func wrapSchema(hoisted map[string]json.RawMessage, inner json.RawMessage) json.RawMessage {
	root := map[string]any{
		"type":       "object",
		"properties": map[string]json.RawMessage{inputValue: inner},
		"required":   []string{inputValue},
	}
	for k, v := range hoisted {
		root[k] = v
	}
	out, _ := json.Marshal(root)
	return out
}

// inputSchemaPath turns the path of a compile error in the wrapped schema
// into the path of the state's input.schema.
func inputSchemaPath(prefix, path string) string {
	wrapped := schema.RootPath + ".properties." + inputValue
	switch {
	case path == wrapped || path == schema.RootPath:
		return prefix
	case strings.HasPrefix(path, wrapped+"."):
		return prefix + "." + strings.TrimPrefix(path, wrapped+".")
	case strings.HasPrefix(path, schema.RootPath+"."):
		return prefix + "." + strings.TrimPrefix(path, schema.RootPath+".")
	}
	return prefix
}

// accept checks a user's message against the input's schema. The message
// is tried as text, then (when it spells one) as a JSON value, so a schema
// of type integer accepts "42" as 42. It returns the value to save, or a
// description of what is wrong.
func (ci *compiledInput) accept(text string) (value any, ok bool, problem string) {
	if ci.schema == nil {
		return text, true, ""
	}
	asText, _ := json.Marshal(text)
	vr, _, err := ci.schema.ValidateJSON(wrapValue(asText))
	if err == nil && vr.OK() {
		return text, true, ""
	}
	problem = describeProblem(vr, err)
	trimmed := strings.TrimSpace(text)
	if trimmed == "" || !json.Valid([]byte(trimmed)) || trimmed[0] == '"' {
		return nil, false, problem
	}
	vr, _, err = ci.schema.ValidateJSON(wrapValue([]byte(trimmed)))
	if err != nil || !vr.OK() {
		if strings.Contains(problem, "(got a string)") {
			// The text is of the wrong type; say what is wrong with the
			// value it spells.
			problem = describeProblem(vr, err)
		}
		return nil, false, problem
	}
	v, err := decodeValue([]byte(trimmed))
	if err != nil {
		return nil, false, problem
	}
	return v, true, ""
}

func wrapValue(v []byte) []byte {
	out := make([]byte, 0, len(v)+12)
	out = append(out, `{"value":`...)
	out = append(out, v...)
	return append(out, '}')
}

// describeProblem renders what the schema found wrong with the message,
// without the wrapper's property name.
func describeProblem(vr *schema.ValidationResult, err error) string {
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, is := range vr.Issues {
		path := strings.TrimPrefix(strings.TrimPrefix(is.Path, inputValue), ".")
		if path == "" {
			parts = append(parts, is.Message)
		} else {
			parts = append(parts, path+": "+is.Message)
		}
	}
	for _, m := range vr.Missing {
		if m == inputValue {
			parts = append(parts, "is missing")
		} else {
			parts = append(parts, strings.TrimPrefix(m, inputValue+".")+": is missing")
		}
	}
	return strings.Join(parts, "; ")
}

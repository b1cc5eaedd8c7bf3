package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits on the size of a tool's input schema. Both are checked on the JSON
// text before anything else reads it (the compiler, the exporters), so a
// schema over them is refused in about the time it takes to read it: a schema
// nested 1,000 levels deep used to take the compiler tens of seconds.
const (
	// MaxSchemaDepth bounds how deeply schemas nest. The root schema is
	// level 1, and each schema inside another (a property's schema, items,
	// an anyOf branch, a definition under $defs...) is one level deeper
	// than the schema holding it. Inside values such as enum, const and
	// default, and inside keywords JSON Schema does not define, every
	// object or array counts as a level. 32 levels leave ample room: OpenAI
	// strict mode takes 10 levels of nested objects.
	MaxSchemaDepth = 32
	// MaxSchemaBytes bounds the length of the schema's JSON text, as sent:
	// 256 KiB.
	MaxSchemaBytes = 256 << 10
)

// Errors that a [*CompileError] wraps when a schema is over a limit, for
// errors.Is.
var (
	// ErrSchemaTooDeep: the schema nests deeper than [MaxSchemaDepth].
	ErrSchemaTooDeep = errors.New("schema nests too deeply")
	// ErrSchemaTooLarge: the schema's text is longer than [MaxSchemaBytes].
	ErrSchemaTooLarge = errors.New("schema is too large")
)

// checkLimits refuses a schema longer than MaxSchemaBytes or nested deeper
// than MaxSchemaDepth. It reads the JSON text as a stream of tokens, keeping
// only the path to the current value, and stops at the first level too deep;
// text that is not valid JSON is left for the caller to report.
func checkLimits(raw []byte) *CompileError {
	if len(raw) > MaxSchemaBytes {
		return &CompileError{
			Path:    RootPath,
			Message: fmt.Sprintf("is %d bytes long; a tool's input schema may be at most %d bytes (256 KiB)", len(raw), MaxSchemaBytes),
			Err:     ErrSchemaTooLarge,
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stack []depthFrame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // malformed: the caller says what is wrong
		}
		var top *depthFrame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			child := depthFrame{array: tok == json.Delim('['), role: roleSchema, level: 1}
			if top != nil {
				child.role, child.level = top.child(child.array)
			}
			stack = append(stack, child)
			if child.level > MaxSchemaDepth {
				return &CompileError{
					Path:    depthPath(stack),
					Message: fmt.Sprintf("is nested more than %d levels deep; a tool's input schema may nest at most %d levels (each property, item or alternative inside another is one level)", MaxSchemaDepth, MaxSchemaDepth),
					Err:     ErrSchemaTooDeep,
				}
			}
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].consumed()
			}
		default:
			if top == nil {
				continue // a scalar at the root
			}
			if !top.array && !top.inValue {
				top.key, _ = tok.(string)
				top.inValue = true
				continue
			}
			top.consumed()
		}
	}
}

// jsonRole is what a JSON object or array is to the schema it sits in.
type jsonRole uint8

const (
	roleData       jsonRole = iota // a value: enum, const, default, an unknown keyword
	roleSchema                     // a schema
	roleSchemaMap                  // an object of schemas by name: properties, $defs
	roleSchemaList                 // an array of schemas: anyOf, prefixItems
)

// depthFrame is one open object or array on the way to the current token.
type depthFrame struct {
	array   bool
	role    jsonRole
	level   int
	key     string // the member being read, in an object
	inValue bool   // in an object: the key has been read, its value not yet
	index   int    // in an array: the index of the item being read
}

// consumed moves past the value just read.
func (f *depthFrame) consumed() {
	if f.array {
		f.index++
		return
	}
	f.inValue = false
}

// child returns the role and level of an object or array starting inside f.
func (f *depthFrame) child(isArray bool) (jsonRole, int) {
	switch f.role {
	case roleSchemaMap, roleSchemaList:
		if !isArray {
			return roleSchema, f.level + 1
		}
	case roleSchema:
		if f.array {
			break
		}
		switch keywordRole(f.key, isArray) {
		case roleSchema:
			return roleSchema, f.level + 1
		case roleSchemaMap:
			return roleSchemaMap, f.level
		case roleSchemaList:
			return roleSchemaList, f.level
		}
	}
	return roleData, f.level + 1
}

// keywordRole says what the value of a schema's keyword is, by the
// keyword's name and the value's JSON type (array or object).
func keywordRole(keyword string, isArray bool) jsonRole {
	switch keyword {
	case "properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies":
		if !isArray {
			return roleSchemaMap
		}
	case "anyOf", "oneOf", "allOf", "prefixItems":
		if isArray {
			return roleSchemaList
		}
	case "items", "additionalItems":
		if isArray {
			return roleSchemaList // draft-07 tuples
		}
		return roleSchema
	case "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "not",
		"if", "then", "else", "contains", "propertyNames", "contentSchema":
		if !isArray {
			return roleSchema
		}
	}
	return roleData
}

// depthPath renders where the innermost frame of stack starts, dot style.
func depthPath(stack []depthFrame) string {
	var sb strings.Builder
	sb.WriteString(RootPath)
	for _, f := range stack[:len(stack)-1] {
		if f.array {
			sb.WriteString("[" + strconv.Itoa(f.index) + "]")
			continue
		}
		writeName(&sb, f.key)
	}
	return sb.String()
}

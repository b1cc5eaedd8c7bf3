package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// The shapes a tool's argument schema is exported in, one per kind of model
// API. Each function takes the schema as the tool declares it (normally one
// [Compile] accepted) and returns what goes into the provider's tool
// definition:
//
//   - [Anthropic]: the input_schema of a Messages API tool.
//   - [MCP]: the inputSchema of a Model Context Protocol tool.
//   - [OpenAIStrict]: the parameters of an OpenAI function with strict: true,
//     and [OpenAIResponsesTool], a whole function tool of the Responses API.
//   - [AnthropicStrict]: the input_schema of an Anthropic tool with strict:
//     true, and [AnthropicStrictTool], the whole tool.
//   - [Gemini]: the parameters of a Gemini function declaration.
//   - [ElevenLabs], [Vapi] and [Retell]: the parameters of a voice
//     platform's tool, in the platform's own subset of JSON Schema.
//
// The gateway always validates arguments against the original schema, so an
// exported shape may be looser than the original (a constraint the provider
// cannot express is described in words instead), but never stricter in a way
// that would keep a model from sending valid arguments. Where that cannot be
// done the conversion fails with a [*NotConvertibleError]. The voice
// platforms' conversions never fail, because an export must always be
// accepted by the platform: they return what the subset cannot express as a
// list of such errors instead.

// Export targets named in a [NotConvertibleError].
const (
	TargetOpenAIStrict    = "OpenAI strict mode"
	TargetAnthropicStrict = "Anthropic strict tool use"
	TargetGemini          = "Gemini"
	TargetElevenLabs      = "ElevenLabs"
	TargetVapi            = "Vapi"
	TargetRetell          = "Retell"
)

// NotConvertibleError reports that a schema cannot be exported for a provider
// without changing what arguments it accepts. The tool can still be offered
// in another shape (for OpenAI, without strict mode).
type NotConvertibleError struct {
	// Target is the shape that was asked for: one of the Target constants.
	Target string `json:"target"`
	// Path is where in the schema the problem is, dot style, as in
	// [CompileError]: input_schema.properties.tags.additionalProperties.
	Path string `json:"path"`
	// Reason says what cannot be expressed and what to change.
	Reason string `json:"reason"`
	// Err is the kind of problem, when it has one callers may test for
	// with errors.Is: [ErrSchemaTooDeep] or [ErrSchemaTooLarge].
	Err error `json:"-"`
}

// Error implements error.
func (e *NotConvertibleError) Error() string {
	return fmt.Sprintf("cannot convert to %s: %s: %s", e.Target, e.Path, e.Reason)
}

// Unwrap returns Err.
func (e *NotConvertibleError) Unwrap() error { return e.Err }

// Anthropic returns the schema as the input_schema of an Anthropic tool: the
// JSON Schema as declared, with "type": "object" at its root (an absent schema
// becomes {"type":"object"}) and without $schema, which the Messages API does
// not need. Input that is not a JSON object is returned unchanged, for the
// provider to refuse.
func Anthropic(raw json.RawMessage) json.RawMessage {
	return asRootObject(raw, true)
}

// MCP returns the schema as the inputSchema of a Model Context Protocol tool:
// the JSON Schema as declared, with "type": "object" at its root (an absent
// schema becomes {"type":"object"}). $schema is kept: MCP reads schemas as
// draft 2020-12 unless $schema names another draft, as [Compile] does. Input
// that is not a JSON object is returned unchanged, for the client to refuse.
func MCP(raw json.RawMessage) json.RawMessage {
	return asRootObject(raw, false)
}

func asRootObject(raw json.RawMessage, dropSchema bool) json.RawMessage {
	v, nce := decodeSchema(raw)
	if nce != nil {
		return slices.Clone(raw)
	}
	root, ok := v.(*jsonObject)
	if !ok {
		return slices.Clone(raw)
	}
	if dropSchema {
		root.del("$schema")
	}
	if !root.has("type") {
		root.setFirst("type", "object")
	}
	return encodeJSON(root)
}

// decodeSchema decodes a schema for export; an absent schema (empty, null or
// {}) is {"type":"object"}, as in [Compile]. A schema over [MaxSchemaBytes] or
// [MaxSchemaDepth] is refused before it is decoded.
func decodeSchema(raw json.RawMessage) (any, *NotConvertibleError) {
	if ce := checkLimits(raw); ce != nil {
		return nil, &NotConvertibleError{Path: ce.Path, Reason: ce.Message, Err: ce.Err}
	}
	switch string(bytes.TrimSpace(raw)) {
	case "", "null":
		raw = emptyObject
	}
	v, err := decodeOrdered(raw)
	if err != nil {
		return nil, notConvertible(RootPath, "is not valid JSON: %v", err)
	}
	if obj, ok := v.(*jsonObject); ok && len(obj.keys) == 0 {
		obj.set("type", "object")
	}
	return v, nil
}

// typeNames reads the type keyword: a name or a list of names.
func typeNames(v any) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return []string{v}, validType(v)
	case []any:
		names := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok || !validType(s) || slices.Contains(names, s) {
				return nil, false
			}
			names = append(names, s)
		}
		return names, len(names) > 0
	}
	return nil, false
}

func validType(t string) bool {
	switch t {
	case "string", "integer", "number", "boolean", "array", "object", "null":
		return true
	}
	return false
}

// stringList reads a list of strings, such as required.
func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		s, ok := item.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// isOpenObjectSchema reports whether v, the value of additionalProperties or
// unevaluatedProperties, allows any further property: true or {}.
func isOpenObjectSchema(v any) bool {
	if b, ok := v.(bool); ok {
		return b
	}
	obj, ok := v.(*jsonObject)
	return ok && len(obj.keys) == 0
}

// isClosedObjectSchema reports whether v, the value of additionalProperties,
// allows no further property: false.
func isClosedObjectSchema(v any) bool {
	b, ok := v.(bool)
	return ok && !b
}

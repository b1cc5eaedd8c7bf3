package schema

import "encoding/json"

// AnthropicToolDef is a tool of Anthropic's Messages API: {"name",
// "description", "input_schema", "strict"}.
type AnthropicToolDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
	// Strict asks for strict tool use; it is left out when false.
	Strict bool `json:"strict,omitempty"`
}

// AnthropicStrictTool returns a tool as Anthropic's strict tool use takes it:
// the [AnthropicStrict] schema with "strict": true, and the conversion's
// description note appended to the description. When the schema cannot be
// converted it returns the tool without strict, with the schema as
// [Anthropic] exports it, and the [*NotConvertibleError] saying why; the tool
// is usable either way.
func AnthropicStrictTool(name, description string, raw json.RawMessage) (AnthropicToolDef, error) {
	converted, note, err := AnthropicStrict(raw)
	if err != nil {
		return AnthropicToolDef{Name: name, Description: description, InputSchema: Anthropic(raw)}, err
	}
	return AnthropicToolDef{Name: name, Description: appendNote(description, note), InputSchema: converted, Strict: true}, nil
}

// OpenAIResponsesFunctionTool is a function tool of OpenAI's Responses API,
// which is flat: {"type": "function", "name", "description", "parameters",
// "strict"}. The API takes strict as true when it is left out, so it is
// always written.
type OpenAIResponsesFunctionTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      bool            `json:"strict"`
}

// OpenAIResponsesTool returns a tool as a Responses API function tool: the
// [OpenAIStrict] parameters with "strict": true, and the conversion's
// description note appended to the description. When the schema cannot be
// converted it returns the tool with "strict": false, the schema as
// [Anthropic] exports it (plain JSON Schema), and the [*NotConvertibleError]
// saying why; the tool is usable either way.
func OpenAIResponsesTool(name, description string, raw json.RawMessage) (OpenAIResponsesFunctionTool, error) {
	tool := OpenAIResponsesFunctionTool{Type: "function", Name: name, Description: description}
	converted, note, err := OpenAIStrict(raw)
	if err != nil {
		tool.Parameters = Anthropic(raw)
		return tool, err
	}
	tool.Description = appendNote(description, note)
	tool.Parameters = converted
	tool.Strict = true
	return tool, nil
}

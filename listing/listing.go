// Package listing renders an agent's tools in the function-calling shape of
// each provider (OpenAI chat completions, plain and strict; the OpenAI
// Responses API; Anthropic, plain and strict; Gemini; MCP).
//
// A tool version is rendered in every format once, when it is published
// (Render), and the renderings are stored with the version. Listing an
// agent's tools then converts nothing: it joins the stored pieces (kept in
// memory once read) and adds what depends on the agent's whole list (the
// budget of Anthropic's strict tools). The marshalled listings are cached
// until the catalog hands out a new tool list. A version without a stored
// rendering of this Revision is rendered when first listed, and stored.
package listing

import (
	"encoding/json"
	"errors"
	"slices"

	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// Tool listing formats of GET /v1/tools?format=.
const (
	// FormatOpenAI is a chat completions tool: {"type": "function",
	// "function": {...}}.
	FormatOpenAI = "openai"
	// FormatOpenAIStrict is the same with "strict": true where the schema
	// converts to strict mode.
	FormatOpenAIStrict = "openai_strict"
	// FormatOpenAIResponses is a Responses API function tool, flat:
	// {"type": "function", "name", "description", "parameters", "strict"}.
	FormatOpenAIResponses = "openai_responses"
	// FormatAnthropic is a Messages API tool: {"name", "description",
	// "input_schema"}.
	FormatAnthropic = "anthropic"
	// FormatAnthropicStrict is the same with "strict": true where the
	// schema converts and the request's budget of strict tools allows.
	FormatAnthropicStrict = "anthropic_strict"
	FormatGemini          = "gemini"
	FormatMCP             = "mcp"
	// FormatDefault is the format of a listing that names none.
	FormatDefault = FormatOpenAI
)

// Formats are the accepted formats, in the order errors name them.
var Formats = []string{FormatOpenAI, FormatOpenAIStrict, FormatOpenAIResponses, FormatAnthropic, FormatAnthropicStrict,
	FormatGemini, FormatMCP}

// unconvertedTool says why a tool is not listed in the format's own schema
// dialect.
type unconvertedTool struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Tool shapes of the formats that go-openai does not cover.
type (
	anthropicTool struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		InputSchema json.RawMessage `json:"input_schema"`
	}
	geminiDeclaration struct {
		Name                 string          `json:"name"`
		Description          string          `json:"description"`
		Parameters           json.RawMessage `json:"parameters,omitempty"`
		ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
	}
	mcpTool struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		InputSchema json.RawMessage `json:"inputSchema"`
	}
)

// IsFormat reports whether f is one of Formats.
func IsFormat(f string) bool { return slices.Contains(Formats, f) }

// renderTool renders one tool in a format, with the reason when the format
// cannot express its schema.
func renderTool(t *tools.Prepared, format string) (any, *unconvertedTool) {
	raw := t.InputSchema()
	switch format {
	case FormatOpenAIStrict:
		tool, err := OpenAIStrictTool(t)
		if err != nil {
			u := unconverted(t.Name, err)
			return tool, &u
		}
		return tool, nil
	case FormatOpenAIResponses:
		tool, err := schema.OpenAIResponsesTool(t.Name, t.Def.Description, raw)
		if err != nil {
			u := unconverted(t.Name, err)
			return tool, &u
		}
		return tool, nil
	case FormatAnthropic:
		return anthropicTool{Name: t.Name, Description: t.Def.Description, InputSchema: schema.Anthropic(raw)}, nil
	case FormatAnthropicStrict:
		tool, err := schema.AnthropicStrictTool(t.Name, t.Def.Description, raw)
		if err != nil {
			u := unconverted(t.Name, err)
			return tool, &u
		}
		return tool, nil
	case FormatGemini:
		params, err := schema.Gemini(raw)
		if err != nil {
			// Gemini takes full JSON Schema in parametersJsonSchema.
			u := unconverted(t.Name, err)
			return geminiDeclaration{Name: t.Name, Description: t.Def.Description, ParametersJSONSchema: schema.Anthropic(raw)}, &u
		}
		return geminiDeclaration{Name: t.Name, Description: t.Def.Description, Parameters: params}, nil
	case FormatMCP:
		return mcpTool{Name: t.Name, Description: t.Def.Description, InputSchema: schema.MCP(raw)}, nil
	}
	return OpenAITool(t), nil
}

// OpenAITool is a tool in OpenAI's function-calling shape, as listed.
func OpenAITool(t *tools.Prepared) openai.Tool {
	return openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: t.Name, Description: t.Def.Description, Parameters: t.InputSchema()}}
}

// OpenAIStrictTool is a tool in OpenAI's function-calling shape with
// "strict": true, its parameters converted by schema.OpenAIStrict and the
// conversion's note appended to its description. A schema strict mode
// cannot express gives the plain OpenAITool and the
// *schema.NotConvertibleError saying why.
func OpenAIStrictTool(t *tools.Prepared) (openai.Tool, error) {
	params, note, err := schema.OpenAIStrict(t.InputSchema())
	if err != nil {
		return OpenAITool(t), err
	}
	return openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: t.Name, Description: schema.AppendNote(t.Def.Description, note), Strict: true, Parameters: params}}, nil
}

func unconverted(name string, err error) unconvertedTool {
	u := unconvertedTool{Name: name, Reason: err.Error()}
	var nce *schema.NotConvertibleError
	if errors.As(err, &nce) {
		u.Target, u.Path, u.Reason = nce.Target, nce.Path, nce.Reason
	}
	return u
}

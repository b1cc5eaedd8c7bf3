package schema

import (
	"encoding/json"
	"fmt"
	"slices"
)

// The shapes below mirror the platforms' own types, so the golden tests
// check every export against them without Node: the e2e suite runs the
// platforms' SDKs themselves on the same exports.

// elevenLabsKeys are the members @elevenlabs/elevenlabs-js's serializers
// accept (LiteralJsonSchemaProperty, ObjectJsonSchemaPropertyInput,
// ArrayJsonSchemaPropertyInput).
var elevenLabsKeys = map[string][]string{
	"literal": {"type", "description", "enum", "is_system_provided", "dynamic_variable", "allowed_values", "allowed_values_dynamic_variable", "constant_value", "is_omitted"},
	"object":  {"property_kind", "description", "dynamic_variable", "constant_value", "is_omitted", "type", "required", "properties", "required_constraints"},
	"array":   {"property_kind", "description", "dynamic_variable", "constant_value", "is_omitted", "type", "items"},
}

// checkElevenLabsBody checks a request_body_schema: keys, types and one
// value source per property.
func checkElevenLabsBody(data []byte) []string {
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		return []string{err.Error()}
	}
	if body["type"] != "object" {
		return []string{`the body's type is not "object"`}
	}
	var problems []string
	checkElevenLabsMembers(body, "body", &problems)
	return problems
}

func checkElevenLabsMembers(obj map[string]any, path string, problems *[]string) {
	props, ok := obj["properties"].(map[string]any)
	if !ok {
		*problems = append(*problems, path+": properties is not an object")
		return
	}
	for name, p := range props {
		prop, ok := p.(map[string]any)
		if !ok {
			*problems = append(*problems, path+"."+name+": not an object")
			continue
		}
		checkElevenLabsProperty(prop, path+"."+name, problems)
	}
	if req, ok := obj["required"]; ok {
		for _, name := range req.([]any) {
			if _, ok := props[name.(string)]; !ok {
				*problems = append(*problems, fmt.Sprintf("%s: requires %v, not a property", path, name))
			}
		}
	}
}

func checkElevenLabsProperty(prop map[string]any, path string, problems *[]string) {
	kind := "literal"
	switch prop["type"] {
	case "object", "array":
		kind = prop["type"].(string)
	case "string", "integer", "number", "boolean":
	default:
		*problems = append(*problems, fmt.Sprintf("%s: type %v", path, prop["type"]))
	}
	for k := range prop {
		if !slices.Contains(elevenLabsKeys[kind], k) {
			*problems = append(*problems, path+": "+kind+" has "+k)
		}
	}
	sources := 0
	for _, k := range []string{"description", "dynamic_variable", "constant_value", "is_system_provided", "is_omitted"} {
		if _, ok := prop[k]; ok {
			sources++
		}
	}
	if sources != 1 {
		*problems = append(*problems, fmt.Sprintf("%s: has %d value sources, want exactly 1", path, sources))
	}
	if enum, ok := prop["enum"]; ok {
		for _, v := range enum.([]any) {
			if _, ok := v.(string); !ok || prop["type"] != "string" {
				*problems = append(*problems, path+": enum of a non-string")
			}
		}
	}
	if _, ok := prop["constant_value"]; ok {
		return
	}
	switch kind {
	case "object":
		checkElevenLabsMembers(prop, path, problems)
	case "array":
		items, ok := prop["items"].(map[string]any)
		if !ok {
			*problems = append(*problems, path+": array without items")
			return
		}
		checkElevenLabsProperty(items, path+"[]", problems)
	}
}

// vapiParametersShape mirrors @vapi-ai/server-sdk's OpenAiFunctionParameters.
type vapiParametersShape struct {
	Type       string                      `json:"type"`
	Properties map[string]*vapiSchemaShape `json:"properties"`
	Required   []string                    `json:"required"`
}

// vapiSchemaShape mirrors @vapi-ai/server-sdk's JsonSchema.
type vapiSchemaShape struct {
	Type        string                      `json:"type"`
	Items       *vapiSchemaShape            `json:"items"`
	Properties  map[string]*vapiSchemaShape `json:"properties"`
	Description *string                     `json:"description"`
	Pattern     *string                     `json:"pattern"`
	Format      *string                     `json:"format"`
	Required    []string                    `json:"required"`
	Enum        []string                    `json:"enum"`
	Title       *string                     `json:"title"`
}

func (p *vapiParametersShape) check() []string {
	var problems []string
	if p.Type != "object" || p.Properties == nil {
		problems = append(problems, "the root is not an object with properties")
	}
	for name, s := range p.Properties {
		s.check(name, &problems)
	}
	return problems
}

func (s *vapiSchemaShape) check(path string, problems *[]string) {
	if !slices.Contains([]string{"string", "number", "integer", "boolean", "array", "object"}, s.Type) {
		*problems = append(*problems, path+": type "+s.Type)
	}
	if s.Format != nil && !slices.Contains(vapiFormats, *s.Format) {
		*problems = append(*problems, path+": format "+*s.Format)
	}
	if s.Type == "array" && s.Items == nil {
		*problems = append(*problems, path+": array without items")
	}
	if s.Items != nil {
		s.Items.check(path+"[]", problems)
	}
	for name, p := range s.Properties {
		p.check(path+"."+name, problems)
	}
	if len(s.Enum) > 0 && s.Type != "string" {
		*problems = append(*problems, path+": enum on "+s.Type)
	}
}

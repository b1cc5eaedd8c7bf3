package admin

import (
	"github.com/invopop/jsonschema"

	"github.com/toolgate/toolgate/tools"
)

// The JSONSchemaExtend methods below give the JSON Schemas generated from
// the admin API's types (package apidoc) the bounds the use cases apply,
// from the same constants.

// JSONSchemaExtend implements jsonschema's extender.
func (ConnectionInput) JSONSchemaExtend(s *jsonschema.Schema) {
	property(s, "name").Pattern = tools.NamePattern
	property(s, "base_url").Format = "uri"
	property(s, "config").Type = "object"
	secrets := property(s, "secrets")
	secrets.WriteOnly = true
	secrets.PropertyNames = &jsonschema.Schema{Pattern: tools.NamePattern}
	secrets.AdditionalProperties = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "string"}, {Type: "null"}}}
}

// JSONSchemaExtend implements jsonschema's extender.
func (AgentInput) JSONSchemaExtend(s *jsonschema.Schema) {
	name := property(s, "name")
	name.MinLength, name.MaxLength = uintPtr(1), uintPtr(AgentNameMax)
	property(s, "model").Type = "object"
	adapters := property(s, "adapters")
	adapters.Type, adapters.WriteOnly = "object", true
	// The activated tools, described here rather than on store.AgentTool
	// (the store knows nothing of names' rules).
	toolProps := jsonschema.NewProperties()
	toolProps.Set("name", &jsonschema.Schema{Type: "string", Pattern: tools.NamePattern, Description: "The tool's name."})
	toolProps.Set("version", &jsonschema.Schema{Type: "integer", Minimum: "0", Default: 0,
		Description: "A published version to pin; 0 or absent: the latest published version."})
	ts := property(s, "tools")
	ts.Items = &jsonschema.Schema{Type: "object", Properties: toolProps, Required: []string{"name"},
		AdditionalProperties: jsonschema.FalseSchema}
}

// JSONSchemaExtend implements jsonschema's extender: a tool as the admin API
// shows it holds its draft's definition.
func (Tool) JSONSchemaExtend(s *jsonschema.Schema) { tools.ExtendDefinitionSchema(s) }

// JSONSchemaExtend implements jsonschema's extender.
func (ToolVersion) JSONSchemaExtend(s *jsonschema.Schema) { tools.ExtendDefinitionSchema(s) }

// property returns the schema of one property of s; it panics when there
// is none (a JSONSchemaExtend method naming a field the type lacks).
func property(s *jsonschema.Schema, name string) *jsonschema.Schema {
	if s.Properties != nil {
		if p, ok := s.Properties.Get(name); ok {
			return p
		}
	}
	panic("jsonschema: no property " + name)
}

func uintPtr(n uint64) *uint64 { return &n }

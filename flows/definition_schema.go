package flows

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/toolgate/toolgate/tools"
)

// The JSONSchemaExtend methods below give the JSON Schemas generated from
// a flow definition's types (package apidoc, with
// github.com/invopop/jsonschema) the bounds, defaults and enums that
// Compile applies, from the same constants.

// JSONSchemaExtend implements jsonschema's extender.
func (Definition) JSONSchemaExtend(s *jsonschema.Schema) {
	property(s, "start").Pattern = tools.NamePattern
	property(s, "states").PropertyNames = &jsonschema.Schema{Pattern: tools.NamePattern}
}

// JSONSchemaExtend implements jsonschema's extender.
func (Input) JSONSchemaExtend(s *jsonschema.Schema) {
	property(s, "save_to").Pattern = tools.NamePattern
	property(s, "schema").Type = "object"
}

// JSONSchemaExtend implements jsonschema's extender.
func (Transition) JSONSchemaExtend(s *jsonschema.Schema) {
	property(s, "to").Pattern = tools.NamePattern
}

// JSONSchemaExtend implements jsonschema's extender.
func (Action) JSONSchemaExtend(s *jsonschema.Schema) {
	property(s, "type").Enum = []any{ActionAPICall}
	method := property(s, "method")
	method.Enum, method.Default = toAny(tools.Methods), tools.MethodDefault
	saveTo := property(s, "save_to")
	saveTo.Pattern, saveTo.Default = tools.NamePattern, SaveToDefault
	timeout := property(s, "timeout_ms")
	timeout.Minimum, timeout.Maximum, timeout.Default = number(tools.TimeoutMSMin), number(tools.TimeoutMSMax), tools.TimeoutMSDefault
	property(s, "fire_and_forget").Default = false
	for _, field := range []string{"integration", "connection", "tool", "success_transition", "failure_transition"} {
		property(s, field).Pattern = tools.NamePattern
	}
	property(s, "on").PropertyNames = &jsonschema.Schema{Pattern: OnKeyPattern()}
}

// OnKeyPattern is the keys of an action's on, as a regular expression: an
// outcome class or status:NNN (100 to 599).
func OnKeyPattern() string {
	quoted := make([]string, len(outcomeClasses))
	for i, c := range outcomeClasses {
		quoted[i] = regexp.QuoteMeta(c)
	}
	return `^(` + strings.Join(quoted, "|") + `|status:[1-5][0-9][0-9])$`
}

// JSONSchema implements jsonschema's custom schema: a RawObject is a JSON
// object (or null), whatever its members.
func (RawObject) JSONSchema() *jsonschema.Schema { return &jsonschema.Schema{Type: "object"} }

func property(s *jsonschema.Schema, name string) *jsonschema.Schema {
	if s.Properties != nil {
		if p, ok := s.Properties.Get(name); ok {
			return p
		}
	}
	panic("jsonschema: no property " + name)
}

func number(n int) json.Number { return json.Number(strconv.Itoa(n)) }

func toAny(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

package apidoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/invopop/jsonschema"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/tools"
)

// Objects are the names of the described objects, in the order the
// reference lists them.
var Objects = []string{"tool", "connection", "agent", "flow"}

// object is a described object: what its file holds.
type object struct {
	title, description string
	typ                reflect.Type
}

var objects = map[string]object{
	"tool": {"toolgate tool", "A tool: one HTTP operation an agent may call. POST /v1/admin/tools creates its draft; publishing makes an immutable version.",
		reflect.TypeFor[tools.Definition]()},
	"connection": {"toolgate connection", "A connection: a saved integration (base URL, headers, auth and write-only secrets) tools call through. POST /v1/admin/connections.",
		reflect.TypeFor[admin.ConnectionInput]()},
	"agent": {"toolgate agent", "An agent: a consumer of tools (a voice bot, a chat bot, a framework) and the tools activated for it. POST /v1/admin/agents.",
		reflect.TypeFor[admin.AgentInput]()},
	"flow": {"toolgate flow", "A conversation flow: a state machine whose states show messages, run API_CALL actions, wait for input and move on.",
		reflect.TypeFor[flows.Definition]()},
}

// SchemaPath is where the schema of an object is served.
func SchemaPath(name string) string { return "/v1/schemas/" + name + ".json" }

// Schema returns the JSON Schema of an object ("tool", "connection",
// "agent" or "flow"), as served at SchemaPath(name); false for another
// name. Its root also allows a "$schema" member, so that a file can name
// the schema for editor completion, and (tool, connection and agent) the
// "kind" member of `toolgate apply` files (toolgate's API itself refuses
// unknown members: tools that send files drop both).
func Schema(name string) ([]byte, bool) {
	all := objectSchemas()
	s, ok := all[name]
	return s, ok
}

var objectSchemas = sync.OnceValue(func() map[string][]byte {
	out := map[string][]byte{}
	for _, name := range Objects {
		o := objects[name]
		r := newReflector()
		r.ExpandedStruct = true
		s := r.ReflectFromType(o.typ)
		s.Title, s.Description = o.title, o.description
		s.Properties.Set("$schema", &jsonschema.Schema{Type: "string", Format: "uri-reference",
			Description: "The schema of this file, for editors: " + SchemaPath(name) + " on a toolgate gateway. Ignored by toolgate."})
		if name != "flow" { // a flow's file holds its definition under "flow"
			s.Properties.Set("kind", &jsonschema.Schema{Type: "string", Const: name,
				Description: "The kind of object, in files of toolgate apply and export. Not sent to the API."})
			_ = s.Properties.MoveToFront("kind")
		}
		_ = s.Properties.MoveToFront("$schema") // present: just set
		pruneDefinitions(s)
		out[name] = mustMarshal(s)
	}
	return out
})

// newReflector returns the reflector every schema is generated with:
// anonymous (the served URL is the schema's identity), named types as
// $defs, struct members required unless omitempty, unknown members refused
// (as the API refuses them).
func newReflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{Anonymous: true, Namer: typeName}
}

// typeNames are the component names of types whose Go names are ambiguous
// or unclear out of their packages.
var typeNames = map[reflect.Type]string{
	reflect.TypeFor[tools.Definition]():     "ToolDefinition",
	reflect.TypeFor[tools.ResponseConfig](): "ToolResponse",
	reflect.TypeFor[tools.RetryConfig]():    "ToolRetry",
	reflect.TypeFor[tools.Origin]():         "ToolOrigin",
	reflect.TypeFor[tools.ConfirmConfig]():  "ToolConfirm",
	reflect.TypeFor[tools.ApprovalConfig](): "ToolApproval",
	reflect.TypeFor[tools.Limit]():          "Limit",
	reflect.TypeFor[tools.CacheConfig]():    "ToolCache",
	reflect.TypeFor[tools.Auth]():           "ConnectionAuth",
	reflect.TypeFor[tools.Report]():         "ValidationReport",
	reflect.TypeFor[tools.Result]():         "CallResult",
	reflect.TypeFor[tools.CallError]():      "CallError",
	reflect.TypeFor[flows.Definition]():     "FlowDefinition",
	reflect.TypeFor[flows.State]():          "FlowState",
	reflect.TypeFor[flows.Input]():          "FlowInput",
	reflect.TypeFor[flows.Transition]():     "FlowTransition",
	reflect.TypeFor[flows.Action]():         "FlowAction",
	reflect.TypeFor[flows.RawObject]():      "JSONObject",
	reflect.TypeFor[flows.Report]():         "FlowValidationReport",
	reflect.TypeFor[flows.Turn]():           "FlowTurn",
	reflect.TypeFor[flows.Session]():        "FlowSession",
	reflect.TypeFor[flows.Step]():           "FlowStep",
	reflect.TypeFor[admin.FlowInput]():      "FlowCreate",
}

func typeName(t reflect.Type) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return t.Name()
}

// components reflects types into one set of named schemas, with refs
// between them written as #/components/schemas/Name. It panics when two
// types take one name (typeNames must tell them apart).
func components(types []reflect.Type) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	owner := map[string]string{}
	for _, t := range types {
		r := newReflector()
		root := r.ReflectFromType(t)
		for name, def := range root.Definitions {
			raw := mustMarshal(def)
			raw = bytes.ReplaceAll(raw, []byte(`"#/$defs/`), []byte(`"#/components/schemas/`))
			if prev, ok := out[name]; ok && !bytes.Equal(prev, raw) {
				panic(fmt.Sprintf("apidoc: schema name %s is taken by %s and %s", name, owner[name], t))
			}
			out[name], owner[name] = raw, t.String()
		}
	}
	return out
}

// pruneDefinitions drops the $defs nothing refers to (a JSONSchemaExtend
// method may replace a property's reference with a schema of its own).
func pruneDefinitions(s *jsonschema.Schema) {
	for {
		text := mustMarshal(s)
		removed := false
		for name := range s.Definitions {
			if !bytes.Contains(text, []byte(`"#/$defs/`+name+`"`)) {
				delete(s.Definitions, name)
				removed = true
			}
		}
		if !removed {
			return
		}
	}
}

// componentName is the name of t's schema among the components.
func componentName(t reflect.Type) string { return typeName(t) }

func mustMarshal(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("apidoc: %v", err))
	}
	return data
}

// Package apidoc describes toolgate's own objects and REST API for people,
// editors and client generators:
//
//   - [Schema]: the JSON Schemas (2020-12) of the tool, connection, agent
//     and flow definitions, generated from the Go types the API decodes
//     (tools.Definition, admin.ConnectionInput, admin.AgentInput,
//     flows.Definition) with github.com/invopop/jsonschema. Descriptions
//     come from the types' jsonschema struct tags; bounds, defaults and
//     enums from their JSONSchemaExtend methods, which read the constants
//     the code validates with. Served at GET /v1/schemas/{name}.json and
//     usable as "$schema" in files.
//   - [OpenAPI]: the OpenAPI 3.1 document of the REST API (GET
//     /v1/openapi.json), whose component schemas come from the same
//     generation.
//
// docs/reference.md documents every field; its tests compare it with the
// generated schemas, so neither drifts from the code.
package apidoc

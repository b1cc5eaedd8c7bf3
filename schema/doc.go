// Package schema compiles the JSON Schema of a tool's arguments and validates
// the arguments an agent sends against it.
//
// A tool's input_schema is compiled once per tool version with [Compile]. The
// resulting [*Schema] is immutable and is shared by every call to that tool
// version. Validation never compiles anything and reports problems in a shape
// made for two readers: the admin or developer who reads the API response, and
// the model that has to fix its call. Each problem is an [Issue] with a dotted
// path (address.city, items[2].id) and a short sentence; missing required
// properties are listed separately in [ValidationResult.Missing] so the model
// can be told plainly which values to ask the caller for.
//
// Schemas use JSON Schema draft 2020-12 unless they declare another draft with
// $schema. Formats (date, date-time, email, uri, uuid, ...) are asserted, not
// merely annotated. References are resolved only inside the schema itself:
// nothing is ever loaded from the network or the file system. A schema may be
// at most [MaxSchemaBytes] long and nest at most [MaxSchemaDepth] levels; both
// are checked on the text before anything else reads it.
//
// The same schema is exported in each shape a model API or voice platform
// takes (see export.go): as declared for Anthropic and MCP, converted for
// OpenAI's and Anthropic's strict modes and for Gemini, and reduced to the
// subsets of ElevenLabs, Vapi and Retell. Arguments are always validated
// against the schema as declared.
package schema

// Package openapi turns an OpenAPI 3.0.x, 3.1.x or Swagger 2.0 document into
// draft tool definitions and the connection they call through, with a
// report of what was imported, skipped and why. It is pure: bytes in, Go
// values out; storing the drafts and answering HTTP are done above it.
//
// [Parse] reads the document (JSON or YAML) with kin-openapi: Swagger 2.0 is
// converted to OpenAPI 3.0, local $refs are resolved (circular ones
// included), and a remote $ref, or a local one that points to nothing, is
// never fetched: the operations that reach one are skipped with a reason. A
// document that cannot be read is a [*DocumentError] naming the line (syntax)
// or the JSON pointer (structure) of the problem.
//
// [Convert] makes one draft tool per selected operation:
//
//   - name: the operationId made to match ^[a-zA-Z0-9_-]{1,64}$ ("repos/get"
//     → "repos_get"), or method and path ("get_pets_petId"); the prefix is
//     applied and the name made unique in the workspace and the import;
//   - description: summary and description, cut to [DescriptionMax] at a
//     sentence or word;
//   - method, connection, and the path with {{args.x}} for path parameters;
//     query and header templates for query and header parameters (an absent
//     optional one is dropped when the call is rendered);
//   - body: a template that places each body argument, for JSON bodies;
//   - input_schema: one JSON Schema 2020-12 object holding every argument
//     (see buildInput for how parameters and body properties are named
//     without colliding; in short: parameters keep their names, a clash gets
//     the location as prefix, query_id or body_id, and a body that is not a
//     plain object is one argument named body);
//   - output_schema: the JSON schema of the first 2xx response, when it is
//     an object.
//
// Each draft is checked with tools.Validate against the planned connection;
// what it reports is in the tool's warnings.
package openapi

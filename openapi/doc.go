// Package openapi turns an OpenAPI 3.0.x, 3.1.x or Swagger 2.0 document into
// draft tool definitions and the connection they call through, with a
// report of what was imported, what was skipped and why. It is pure: bytes
// in, Go values out; storing the drafts and answering HTTP are done above it.
//
// [Parse] reads the document (JSON or YAML) with kin-openapi: Swagger 2.0 is
// converted to OpenAPI 3.0, local $refs are resolved (circular ones
// included). A remote $ref is never fetched, and a local one that points to
// nothing does not fail the document: the operations that reach either are
// skipped with the reason. A document that cannot be read is a
// [*DocumentError] naming the line and column (syntax) or the JSON pointer
// (structure) of the problem.
//
// [Convert] makes one draft tool per selected operation:
//
//   - name: the operationId made to match ^[a-zA-Z0-9_-]{1,64}$ ("repos/get"
//     → "repos_get"), or the method and path ("get_pets_petId"), after the
//     prefix; a name taken in the workspace or by another operation gets
//     _2, _3...; a name cut to 64 characters ends with a hash of the whole;
//   - description: the summary and description, cut to [DescriptionMax] at
//     a sentence or a word;
//   - method, connection, and the path with {{args.x}} for each path
//     parameter; query and headers templates for query and header
//     parameters (an absent optional argument drops its parameter);
//   - body: for a JSON body, a template placing each body argument (an
//     absent optional one is dropped); POST, PUT and PATCH without a body
//     send {} (a tool without a body template would send its arguments);
//   - input_schema: one JSON Schema 2020-12 object holding every argument;
//   - output_schema: the JSON schema of the first 2xx JSON response, when it
//     describes an object.
//
// # Arguments
//
// Every argument is a top-level property of the input schema, named after
// the parameter or property it fills (characters outside [A-Za-z0-9_-]
// become '_'; the request keeps the original name):
//
//   - path parameters in path order, then query and header parameters in
//     the document's order; a name already taken gets its location as a
//     prefix: query_id, header_id;
//   - the properties of a JSON body that is a plain object (or an allOf of
//     plain objects); a name already taken gets the prefix body_ (body_id);
//     readOnly properties are left out, required ones stay required;
//   - any other JSON body (an array, a oneOf, a map, a scalar) is one
//     required argument named body (request_body when body is taken).
//
// Array query, header and path parameters are one comma-separated string
// argument (the simple style; for a repeated query parameter the tool says
// so in a warning).
//
// # Schemas
//
// Schemas are written as JSON Schema 2020-12: 3.0 nullable becomes a type
// list with "null" (or null in the enum, or an anyOf with {"type": "null"}),
// boolean exclusive bounds become numbers, example becomes examples (small
// ones only), oneOf becomes anyOf (OpenAPI documents often give oneOf
// branches that overlap, which 2020-12 would refuse), OpenAPI-only keywords
// are dropped, and a pattern Go's regexp cannot run is left out with a
// warning. Request schemas leave readOnly properties out, response schemas
// writeOnly ones. Input schemas inline their components, except a schema
// that contains itself, which is written once in $defs; an input schema
// that inlines to more than 4,000 schemas is written with $defs instead.
// Output schemas always use $defs and are kept up to [OutputSchemaMax].
//
// # What is skipped
//
// An operation is skipped, with the reason, when toolgate cannot call it:
// a method other than GET, POST, PUT, PATCH and DELETE; a $ref not
// followed; a required body that is a form or not JSON (tools send JSON
// bodies only), or any required body on GET or DELETE; a required cookie,
// object-valued query or header parameter, or header the gateway owns;
// an operation served from another server than the document's. The same
// things, when optional, are left out of the tool with a warning.
//
// # Connection
//
// The connection takes the base URL of the document's first server and the
// auth of the security scheme the most selected operations accept alone:
// http bearer or basic, apiKey in a header or the query, OAuth2 client
// credentials (preferred) or authorization code with the document's URLs
// and the scopes the operations ask for. Secrets, the OAuth2 client ID and
// the basic-auth username are never in a document: warnings say what the
// admin must set.
//
// Each draft is checked with tools.Validate against that connection (its
// secrets taken as set); what it reports is in the tool's warnings.
package openapi

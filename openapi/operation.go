package openapi

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/toolgate/toolgate/tools"
)

// converter turns the selected operations of one document into tools.
type converter struct {
	doc   *Document
	conn  *connPlan
	names *namer
	// validateConn is the planned connection, with placeholder secrets, to
	// validate each draft against.
	validateConn *tools.Connection
}

// operationTool makes the draft tool of one operation, or says why it is
// skipped.
func (c *converter) operationTool(o operation) (*ImportedTool, string) {
	if o.pathSkip != "" {
		return nil, o.pathSkip
	}
	switch o.method {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
	default:
		return nil, fmt.Sprintf("method %s is not supported: a tool calls GET, POST, PUT, PATCH or DELETE", o.method)
	}
	prefix, reason := c.serverPrefix(o)
	if reason != "" {
		return nil, reason
	}
	in, reason := c.buildInput(o, prefix, false)
	if reason != "" {
		return nil, reason
	}
	if in.cut {
		// Inlined, the schema grew past its bounds: write it with $defs.
		if again, reason := c.buildInput(o, prefix, true); reason == "" {
			in = again
		}
	}
	def := tools.Definition{
		Name:        c.names.name(baseToolName(o.id, o.method, o.path)),
		Description: describe(o.op.Summary, o.op.Description, o.op.Deprecated, o.method, o.path),
		Method:      o.method,
		Connection:  c.conn.spec.Name,
		Path:        in.path,
		Body:        in.body,
		InputSchema: in.schema,
	}
	if len(in.query) > 0 {
		def.Query = in.query
	}
	if len(in.headers) > 0 {
		def.Headers = in.headers
	}
	warnings := in.warnings
	if in.cut {
		warnings = append(warnings, FieldWarning{Path: "input_schema", Message: fmt.Sprintf(
			"the schema was cut: parts nested deeper than %d levels, or past %d schemas, accept any value", schemaMaxDepth, schemaMaxNodes)})
	}
	out, outWarnings := c.buildOutput(o)
	def.OutputSchema = out
	warnings = append(warnings, outWarnings...)
	if c.conn.scheme != "" || len(securityOf(c.doc.doc, o.op)) > 0 {
		if reqs := securityOf(c.doc.doc, o.op); !acceptsConnectionAuth(reqs, c.conn.scheme) {
			warnings = append(warnings, FieldWarning{Path: "connection", Message: fmt.Sprintf(
				"the operation requires %s; the connection authenticates with %s", describeRequirements(reqs), orNone(c.conn.scheme))})
		}
	}
	// The output schema is valid by construction (the tests compile every
	// one of the real documents'); compiling each again here would double
	// the time of a large import.
	checked := def
	checked.OutputSchema = nil
	report := tools.Validate(&checked, c.validateConn)
	for _, e := range report.Errors {
		warnings = append(warnings, FieldWarning{Path: e.Path, Message: "invalid: " + e.Message})
	}
	for _, w := range report.Warnings {
		warnings = append(warnings, FieldWarning{Path: w.Path, Message: w.Message})
	}
	if warnings == nil {
		warnings = []FieldWarning{}
	}
	return &ImportedTool{
		Definition:  def,
		OperationID: o.id,
		Method:      o.method,
		Path:        o.path,
		Valid:       report.Valid,
		Warnings:    warnings,
	}, ""
}

func orNone(s string) string {
	if s == "" {
		return "no scheme"
	}
	return s
}

func describeRequirements(reqs openapi3.SecurityRequirements) string {
	var alts []string
	for _, req := range reqs {
		alts = append(alts, strings.Join(sortedKeys(req), " and "))
	}
	return "security " + strings.Join(alts, " or ")
}

// serverPrefix returns the path prefix of an operation that declares its
// own servers under the document's first server ("/v2" for
// https://api.example.com/v2 under https://api.example.com), or why the
// operation cannot be called through the connection.
func (c *converter) serverPrefix(o operation) (string, string) {
	var servers openapi3.Servers
	switch {
	case o.op.Servers != nil && len(*o.op.Servers) > 0:
		servers = *o.op.Servers
	case len(o.item.Servers) > 0:
		servers = o.item.Servers
	default:
		return "", ""
	}
	own := serverURL(servers[0])
	if len(c.doc.doc.Servers) == 0 {
		return "", fmt.Sprintf("the operation is served from %s, and the document names no server: import it separately with base_url %s", own, own)
	}
	docServer := serverURL(c.doc.doc.Servers[0])
	base, err := url.Parse(docServer)
	if err != nil {
		return "", ""
	}
	u, err := base.Parse(own)
	if err != nil {
		return "", fmt.Sprintf("the operation's server URL %q does not parse", own)
	}
	if u.Scheme == base.Scheme && u.Host == base.Host {
		basePath := strings.TrimSuffix(base.Path, "/")
		if rest, ok := strings.CutPrefix(u.Path, basePath); ok && (rest == "" || rest[0] == '/') {
			return strings.TrimSuffix(rest, "/"), ""
		}
	}
	return "", fmt.Sprintf("the operation is served from %s, not under the document's server %s: import it separately with base_url %s", u, docServer, u)
}

// pickMedia chooses the media type of a body: application/json, else
// another JSON type (application/vnd.api+json, */*), else a form, else the
// first by name. kind is "json", "form" or "other".
func pickMedia(content openapi3.Content) (mediaType string, media *openapi3.MediaType, kind string) {
	keys := sortedKeys(content)
	best, bestRank := "", 4
	for _, k := range keys {
		r := 3
		switch mt := mediaTypeOf(k); {
		case mt == "application/json":
			r = 0
		case strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "/json") || mt == "*/*" || mt == "application/*":
			r = 1
		case mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data":
			r = 2
		}
		if r < bestRank {
			best, bestRank = k, r
		}
	}
	if best == "" {
		return "", nil, ""
	}
	kind = [...]string{"json", "json", "form", "other"}[bestRank]
	return best, content[best], kind
}

// mediaTypeOf returns the lower-case media type without parameters.
func mediaTypeOf(s string) string {
	mt, _, _ := strings.Cut(s, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// buildOutput keeps the JSON schema of the first 2xx response (200, 201...)
// as the tool's output_schema, when it describes an object. Every component
// schema it names is written once in $defs (clients read output schemas, not
// models, and response schemas repeat components a lot); a schema over
// OutputSchemaMax bytes is left out with a warning.
func (c *converter) buildOutput(o operation) ([]byte, []FieldWarning) {
	if o.op.Responses == nil {
		return nil, nil
	}
	responses := o.op.Responses.Map()
	var code string
	for _, k := range sortedKeys(responses) {
		if len(k) == 3 && k[0] == '2' {
			if r := responses[k]; r != nil && (r.Value == nil || len(r.Value.Content) > 0 || unresolvedRef(r.Extensions) != "") {
				code = k
				break
			}
		}
	}
	if code == "" {
		return nil, nil
	}
	ref := responses[code]
	leftOut := func(reason string) ([]byte, []FieldWarning) {
		return nil, []FieldWarning{{Path: "output_schema", Message: "left out: response " + code + ": " + reason}}
	}
	switch {
	case unresolvedRef(ref.Extensions) != "":
		return leftOut(unresolvedReason(unresolvedRef(ref.Extensions)))
	case ref.Value == nil:
		return leftOut(cyclicReason(ref.Ref))
	case unresolvedRef(ref.Value.Extensions) != "":
		return leftOut(unresolvedReason(unresolvedRef(ref.Value.Extensions)))
	}
	_, media, kind := pickMedia(ref.Value.Content)
	if kind != "json" || media == nil || media.Schema == nil || !objectRoot(media.Schema.Value, 0) {
		return nil, nil
	}
	sc := newSchemaConverter(c.doc, forResponse, true)
	root := sc.root(media.Schema, "output_schema")
	if sc.unresolved != "" {
		return leftOut(sc.unresolved)
	}
	obj, ok := root.(*object)
	if !ok {
		return nil, nil
	}
	obj.setFirst("type", "object")
	if defs := sc.finishDefs(); defs != nil {
		obj.set("$defs", defs)
	}
	data, err := encodeSchema(obj)
	if err != nil {
		return nil, []FieldWarning{{Path: "output_schema", Message: "left out: " + err.Error()}}
	}
	if len(data) > OutputSchemaMax {
		return nil, []FieldWarning{{Path: "output_schema", Message: fmt.Sprintf(
			"left out: the response schema is %d KiB, more than the %d KiB kept", len(data)>>10, OutputSchemaMax>>10)}}
	}
	warnings := sc.warnings
	if sc.truncated {
		warnings = append(warnings, FieldWarning{Path: "output_schema", Message: fmt.Sprintf(
			"the schema was cut: parts nested deeper than %d levels, or past %d schemas, accept any value", schemaMaxDepth, schemaMaxNodes)})
	}
	return data, warnings
}

// OutputSchemaMax bounds a kept output_schema.
const OutputSchemaMax = 64 << 10

// objectRoot reports whether s describes a JSON object (possibly null).
func objectRoot(s *openapi3.Schema, depth int) bool {
	if s == nil || depth > 8 {
		return false
	}
	types := s.Type.Slice()
	for _, t := range types {
		if t == "object" {
			return true
		}
	}
	if len(types) > 0 || len(s.AnyOf) > 0 || len(s.OneOf) > 0 {
		return false
	}
	if len(s.Properties) > 0 {
		return true
	}
	if len(s.AllOf) == 0 {
		return false
	}
	for _, part := range s.AllOf {
		if part == nil || !objectRoot(part.Value, depth+1) {
			return false
		}
	}
	return true
}

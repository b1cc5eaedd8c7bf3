package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/toolgate/toolgate/tools"
)

// inputPlan is the request side of a tool: its arguments' schema and the
// templates that place each argument in the request.
type inputPlan struct {
	schema   json.RawMessage
	path     string
	query    map[string]string
	headers  map[string]string
	body     json.RawMessage
	warnings []FieldWarning
	// cut reports that the schema was cut at its bounds.
	cut bool
}

// inputBuilder builds the inputPlan of one operation.
type inputBuilder struct {
	c        *converter
	o        operation
	sc       *schemaConverter
	args     *argNamer
	props    *object
	required []string
	plan     *inputPlan
}

// headersIgnored are header parameters OpenAPI says to ignore: the request's
// media types and auth come from elsewhere.
var headersIgnored = []string{"Accept", "Content-Type", "Authorization"}

var pathParam = regexp.MustCompile(`\{([^{}]+)\}`)

// buildInput makes the arguments of an operation and the templates that
// place them in the request, as the package documentation says under
// Arguments. useDefs writes every component schema in $defs.
func (c *converter) buildInput(o operation, prefix string, useDefs bool) (*inputPlan, string) {
	b := &inputBuilder{
		c:     c,
		o:     o,
		sc:    newSchemaConverter(c.doc, forRequest, useDefs),
		args:  newArgNamer(),
		props: newObject(),
		plan:  &inputPlan{query: map[string]string{}, headers: map[string]string{}},
	}
	params, reason := b.parameters()
	if reason != "" {
		return nil, reason
	}
	if reason := b.pathParams(prefix, params); reason != "" {
		return nil, reason
	}
	for _, p := range params {
		var reason string
		switch p.In {
		case openapi3.ParameterInPath:
			continue
		case openapi3.ParameterInQuery:
			reason = b.queryParam(p)
		case openapi3.ParameterInHeader:
			reason = b.headerParam(p)
		case openapi3.ParameterInCookie:
			reason = b.unsupported(p, "a cookie parameter cannot be set from arguments")
		default:
			reason = b.unsupported(p, fmt.Sprintf("parameters in %q are not supported", p.In))
		}
		if reason != "" {
			return nil, reason
		}
	}
	if reason := b.requestBody(); reason != "" {
		return nil, reason
	}
	root := newObject()
	root.set("type", "object")
	root.set("properties", b.props)
	if len(b.required) > 0 {
		root.set("required", b.required)
	}
	if defs := b.sc.finishDefs(); defs != nil {
		root.set("$defs", defs)
	}
	if b.sc.unresolved != "" {
		return nil, b.sc.unresolved
	}
	data, err := encodeSchema(root)
	if err != nil {
		return nil, "the input schema cannot be written: " + err.Error()
	}
	b.plan.schema = data
	b.plan.cut = b.sc.truncated
	b.plan.warnings = append(b.plan.warnings, b.sc.warnings...)
	return b.plan, ""
}

func (b *inputBuilder) warn(path, format string, args ...any) {
	b.plan.warnings = append(b.plan.warnings, FieldWarning{Path: path, Message: fmt.Sprintf(format, args...)})
}

// parameters returns the path item's parameters overridden by the
// operation's (same name and location).
func (b *inputBuilder) parameters() ([]*openapi3.Parameter, string) {
	var out []*openapi3.Parameter
	for _, list := range []openapi3.Parameters{b.o.item.Parameters, b.o.op.Parameters} {
		for _, ref := range list {
			if ref == nil {
				continue
			}
			if r := unresolvedRef(ref.Extensions); r != "" {
				return nil, unresolvedReason(r)
			}
			p := ref.Value
			if p == nil {
				return nil, cyclicReason(ref.Ref)
			}
			if r := unresolvedRef(p.Extensions); r != "" {
				return nil, unresolvedReason(r)
			}
			if p.Name == "" {
				b.warn("input_schema", "a %s parameter without a name was left out", orWord(p.In, "parameter"))
				continue
			}
			i := slices.IndexFunc(out, func(q *openapi3.Parameter) bool { return q.Name == p.Name && q.In == p.In })
			if i >= 0 {
				out[i] = p
			} else {
				out = append(out, p)
			}
		}
	}
	return out, ""
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}

// pathParams writes the path template and the path arguments.
func (b *inputBuilder) pathParams(prefix string, params []*openapi3.Parameter) string {
	var reason string
	path := pathParam.ReplaceAllStringFunc(b.o.path, func(m string) string {
		name := m[1 : len(m)-1]
		i := slices.IndexFunc(params, func(p *openapi3.Parameter) bool { return p.In == openapi3.ParameterInPath && p.Name == name })
		var p *openapi3.Parameter
		if i < 0 {
			p = &openapi3.Parameter{Name: name, In: openapi3.ParameterInPath, Required: true,
				Schema: openapi3.NewStringSchema().NewRef()}
			b.warn("path", "path parameter %s is not declared; it is taken as a string", name)
		} else {
			p = params[i]
		}
		if p.Style != "" && p.Style != "simple" {
			b.warn("path", "path parameter %s has style %s; its value is sent as it is", name, p.Style)
		}
		arg := b.args.name(name, "path")
		ref, contentJSON := paramSchema(p)
		switch kind := schemaKind(ref); {
		case contentJSON:
			b.addArg(arg, b.paramSchema(p, ref, arg), true)
		case kind == "object":
			reason = fmt.Sprintf("path parameter %s is an object, which a URL path cannot carry", name)
		case kind == "array":
			b.addArg(arg, listArgSchema(p, ref), true) // style simple: a,b
		default:
			b.addArg(arg, b.paramSchema(p, ref, arg), true)
		}
		return "{{args." + arg + "}}"
	})
	if reason != "" {
		return reason
	}
	b.plan.path = prefix + path
	return ""
}

func (b *inputBuilder) queryParam(p *openapi3.Parameter) string {
	ref, contentJSON := paramSchema(p)
	kind := schemaKind(ref)
	if kind == "object" && !contentJSON {
		return b.unsupported(p, "an object in the query string (style "+orWord(p.Style, "form")+") cannot be sent from arguments")
	}
	arg := b.args.name(p.Name, "query")
	var schema any
	if kind == "array" && !contentJSON {
		schema = listArgSchema(p, ref)
		if explode := p.Explode == nil || *p.Explode; explode && (p.Style == "" || p.Style == "form") {
			b.warn("query."+p.Name, "the values are sent as one comma-separated parameter (%s=a,b); the document describes a repeated parameter (%s=a&%s=b)", p.Name, p.Name, p.Name)
		}
	} else {
		schema = b.paramSchema(p, ref, arg)
	}
	b.addArg(arg, schema, p.Required)
	b.plan.query[p.Name] = "{{args." + arg + "}}"
	return ""
}

func (b *inputBuilder) headerParam(p *openapi3.Parameter) string {
	canonical := http.CanonicalHeaderKey(p.Name)
	if slices.Contains(headersIgnored, canonical) {
		return "" // OpenAPI: such parameter definitions are ignored
	}
	if errs := tools.ValidateHeader("headers", p.Name, ""); len(errs) > 0 {
		return b.unsupported(p, "header "+p.Name+" "+errs[0].Message)
	}
	if tools.IsCredentialHeader(p.Name) {
		return b.unsupported(p, "header "+p.Name+" carries credentials, which never come from arguments; set it on the connection")
	}
	ref, contentJSON := paramSchema(p)
	kind := schemaKind(ref)
	if kind == "object" && !contentJSON {
		return b.unsupported(p, "an object in a header cannot be sent from arguments")
	}
	arg := b.args.name(p.Name, "header")
	var schema any
	if kind == "array" && !contentJSON {
		schema = listArgSchema(p, ref) // style simple: a,b
	} else {
		schema = b.paramSchema(p, ref, arg)
	}
	b.addArg(arg, schema, p.Required)
	b.plan.headers[p.Name] = "{{args." + arg + "}}"
	return ""
}

// unsupported skips the operation for a required parameter toolgate cannot
// send, and leaves an optional one out with a warning.
func (b *inputBuilder) unsupported(p *openapi3.Parameter, why string) string {
	if p.Required {
		return fmt.Sprintf("required %s parameter %s: %s", p.In, p.Name, why)
	}
	field := "input_schema"
	switch p.In {
	case openapi3.ParameterInQuery:
		field = "query." + p.Name
	case openapi3.ParameterInHeader:
		field = "headers." + p.Name
	}
	b.warn(field, "optional %s parameter %s was left out: %s", p.In, p.Name, why)
	return ""
}

func (b *inputBuilder) addArg(name string, schema any, required bool) {
	b.props.set(name, schema)
	if required && !slices.Contains(b.required, name) {
		b.required = append(b.required, name)
	}
}

// paramSchema returns a parameter's schema: its schema, or that of its
// JSON content (contentJSON: the value is sent JSON-encoded).
func paramSchema(p *openapi3.Parameter) (ref *openapi3.SchemaRef, contentJSON bool) {
	if p.Schema != nil {
		return p.Schema, false
	}
	if _, media, kind := pickMedia(p.Content); media != nil && kind == "json" {
		return media.Schema, true
	}
	return nil, false
}

// paramSchema converts a parameter's schema and adds the parameter's
// description, deprecation and example to it.
func (b *inputBuilder) paramSchema(p *openapi3.Parameter, ref *openapi3.SchemaRef, arg string) any {
	var v any
	if ref == nil {
		o := newObject()
		o.set("type", "string")
		v = o
	} else {
		v = b.sc.convert(ref, "input_schema.properties."+arg)
	}
	o, ok := v.(*object)
	if !ok {
		if v != true {
			return v
		}
		o = newObject()
	}
	if d := strings.TrimSpace(p.Description); d != "" {
		if _, has := o.get("description"); !has {
			o.set("description", cutText(d, schemaDescriptionMax))
		}
	}
	if p.Deprecated {
		o.set("deprecated", true)
	}
	if _, has := o.get("examples"); !has && p.Example != nil && len(compactJSON(p.Example)) <= exampleMaxBytes {
		o.set("examples", []any{p.Example})
	}
	return o
}

// listArgSchema is the schema of an array parameter taken as one
// comma-separated string.
func listArgSchema(p *openapi3.Parameter, ref *openapi3.SchemaRef) *object {
	o := newObject()
	o.set("type", "string")
	desc := strings.TrimSpace(p.Description)
	if desc == "" && ref != nil && ref.Value != nil {
		desc = strings.TrimSpace(ref.Value.Description)
	}
	hint := "Several values: separate them with commas."
	if ref != nil && ref.Value != nil && ref.Value.Items != nil && ref.Value.Items.Value != nil && len(ref.Value.Items.Value.Enum) > 0 {
		var vals []string
		for _, v := range ref.Value.Items.Value.Enum {
			vals = append(vals, fmt.Sprint(v))
		}
		hint = "One or more of " + strings.Join(vals, ", ") + ", separated by commas."
	}
	o.set("description", cutText(strings.TrimSpace(desc+" "+hint), schemaDescriptionMax))
	if p.Deprecated {
		o.set("deprecated", true)
	}
	return o
}

// schemaKind is "array", "object" or "scalar".
func schemaKind(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return "scalar"
	}
	s := ref.Value
	types := s.Type.Slice()
	switch {
	case slices.Contains(types, "array"):
		return "array"
	case slices.Contains(types, "object"), len(types) == 0 && len(s.Properties) > 0:
		return "object"
	}
	return "scalar"
}

// requestBody adds the body's arguments and template.
func (b *inputBuilder) requestBody() string {
	method := b.o.method
	sendsBody := method == "POST" || method == "PUT" || method == "PATCH"
	defer func() {
		if sendsBody && b.plan.body == nil {
			// Without a body template a tool sends its arguments; an
			// operation without a body gets an empty JSON object.
			b.plan.body = json.RawMessage("{}")
		}
	}()
	ref := b.o.op.RequestBody
	if ref == nil {
		return ""
	}
	if r := unresolvedRef(ref.Extensions); r != "" {
		return unresolvedReason(r)
	}
	rb := ref.Value
	if rb == nil {
		return cyclicReason(ref.Ref)
	}
	if r := unresolvedRef(rb.Extensions); r != "" {
		return unresolvedReason(r)
	}
	mediaType, media, kind := pickMedia(rb.Content)
	if media == nil {
		return ""
	}
	notSent := func(why string) string {
		if rb.Required {
			return "the request body cannot be sent: " + why
		}
		b.warn("body", "the optional request body is left out: %s", why)
		return ""
	}
	switch {
	case !sendsBody:
		return notSent("toolgate sends no body with " + method)
	case kind == "form":
		return notSent(fmt.Sprintf("it is a form (%s); toolgate sends JSON bodies only", mediaTypeOf(mediaType)))
	case kind != "json":
		return notSent(fmt.Sprintf("it is %s; toolgate sends JSON bodies only", mediaTypeOf(mediaType)))
	}
	if mt := mediaTypeOf(mediaType); mt != "application/json" && !strings.Contains(mt, "*") {
		b.plan.headers["Content-Type"] = mediaType
	}
	props, required, ok := b.flattenable(media.Schema, 0)
	if !ok {
		arg := b.args.name("body", "request")
		schema := b.sc.convert(media.Schema, "input_schema.properties."+arg)
		if o, isObj := schema.(*object); isObj && strings.TrimSpace(rb.Description) != "" {
			if _, has := o.get("description"); !has {
				o.set("description", cutText(strings.TrimSpace(rb.Description), schemaDescriptionMax))
			}
		}
		// The body template is this one value, which cannot be dropped:
		// the argument is required.
		b.addArg(arg, schema, true)
		b.plan.body = json.RawMessage(`"{{args.` + arg + `}}"`)
		return ""
	}
	tmpl := newObject()
	for _, name := range sortedKeys(props) {
		p := props[name]
		if b.sc.leftOut(p) {
			continue
		}
		arg := b.args.name(name, "body")
		b.addArg(arg, b.sc.convert(p, "input_schema.properties."+arg), slices.Contains(required, name))
		tmpl.set(name, "{{args."+arg+"}}")
	}
	data, err := encodeSchema(tmpl)
	if err != nil {
		return "the body template cannot be written: " + err.Error()
	}
	b.plan.body = data
	return ""
}

// flattenable returns the properties and required names of a body schema
// that is a plain object (or an allOf of plain objects) whose properties can
// each become an argument; ok is false for any other schema.
func (b *inputBuilder) flattenable(ref *openapi3.SchemaRef, depth int) (props openapi3.Schemas, required []string, ok bool) {
	if ref == nil || ref.Value == nil || depth > 8 || unresolvedRef(ref.Extensions) != "" {
		return nil, nil, false
	}
	s := ref.Value
	if unresolvedRef(s.Extensions) != "" || s.Always != nil || len(s.AnyOf) > 0 || len(s.OneOf) > 0 ||
		s.Not != nil || s.If != nil || len(s.PatternProperties) > 0 || s.AdditionalProperties.Schema != nil ||
		s.UnevaluatedProperties.Schema != nil || s.PropertyNames != nil || s.MinProps > 0 || s.MaxProps != nil ||
		len(s.DependentRequired) > 0 || len(s.DependentSchemas) > 0 || (b.c.doc.nullableKeyword() && s.Nullable) {
		return nil, nil, false
	}
	if types := s.Type.Slice(); len(types) > 0 && !(len(types) == 1 && types[0] == "object") {
		return nil, nil, false
	}
	props = openapi3.Schemas{}
	for name, p := range s.Properties {
		props[name] = p
	}
	required = slices.Clone(s.Required)
	for _, part := range s.AllOf {
		pp, pr, ok := b.flattenable(part, depth+1)
		if !ok {
			return nil, nil, false
		}
		for name, p := range pp {
			if q, dup := props[name]; dup && q.Value != p.Value {
				return nil, nil, false
			}
			props[name] = p
		}
		required = append(required, pr...)
	}
	if depth == 0 && len(props) == 0 {
		return nil, nil, false
	}
	return props, required, true
}

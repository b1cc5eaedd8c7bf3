package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/net/http/httpguts"
)

// ErrorKind says who can fix a RenderError, and so how a call that hits it
// ends.
type ErrorKind int

const (
	// KindInvalidArguments: the caller's arguments produced a value the
	// request cannot carry (missing, "..", a line break in a header). The
	// gateway answers invalid_arguments; the model can retry.
	KindInvalidArguments ErrorKind = iota + 1
	// KindConfig: the tool or its connection is misconfigured (a missing
	// conn value, a literal URL that does not parse, a secret value a header
	// cannot carry). Only an admin can fix it.
	KindConfig
	// KindMissingSecret: the connection has no value for a {{secret.x}}.
	// An admin must set it; the engine answers auth_error.
	KindMissingSecret
	// KindContext: the call context lacks a value a required
	// {{context.x}} needs, or holds one the request cannot carry. The
	// platform calling toolgate must send it; the model cannot. The engine
	// answers invalid_arguments, with a message saying so.
	KindContext
)

// String returns "invalid_arguments", "config", "missing_secret" or
// "context".
func (k ErrorKind) String() string {
	switch k {
	case KindInvalidArguments:
		return "invalid_arguments"
	case KindConfig:
		return "config"
	case KindMissingSecret:
		return "missing_secret"
	case KindContext:
		return "context"
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// RenderError is a request that cannot be rendered from its template and
// scope. Its message is written for the model when Kind is
// KindInvalidArguments, for the platform calling toolgate when it is
// KindContext; it never contains a conn or secret value.
type RenderError struct {
	// Field names the definition field: "url", "path", "headers.X-Tenant",
	// "query.verbose", "body.customer.name", or "base_url".
	Field string
	// Placeholder is the placeholder's expression ("args.order_id"), empty
	// when the error is not about one placeholder.
	Placeholder string
	// Reason says what is wrong and what to do next.
	Reason string
	// Kind says who can fix it.
	Kind ErrorKind
}

// Error implements error.
func (e *RenderError) Error() string {
	if name, ok := strings.CutPrefix(e.Placeholder, RootArgs+"."); ok {
		return "argument " + name + ": " + e.Reason
	}
	if e.Placeholder != "" {
		if e.Field == "" {
			return e.Placeholder + ": " + e.Reason
		}
		return e.Placeholder + " (in " + e.Field + "): " + e.Reason
	}
	return e.Field + ": " + e.Reason
}

// kindOf returns who is responsible for a placeholder's value.
func kindOf(root string) ErrorKind {
	switch root {
	case RootArgs, RootVariables:
		return KindInvalidArguments
	case RootContext:
		return KindContext
	}
	return KindConfig
}

// missingError is the error for a placeholder without a value.
func missingError(field string, ph *Placeholder) *RenderError {
	var reason string
	kind := kindOf(ph.Root)
	switch ph.Root {
	case RootArgs:
		reason = "a value is required here; provide this argument"
	case RootContext:
		reason = "missing value; the platform calling toolgate must send it in the call context (the model cannot supply it)"
	case RootConn:
		reason = "missing value in the connection's config; an admin must set it"
	case RootVariables:
		reason = "missing value; no earlier step of the conversation set this variable"
	default:
		reason = "missing secret in the connection; an admin must set it"
		kind = KindMissingSecret
	}
	return &RenderError{Field: field, Placeholder: ph.Raw, Reason: reason, Kind: kind}
}

// RenderedRequest is an HTTP request ready to be sent (before auth and the
// gateway's identification headers are added).
type RenderedRequest struct {
	// Method is the upper-case HTTP method.
	Method string
	// URL is the absolute request URL.
	URL string
	// Header holds the rendered header templates, canonicalized; never nil,
	// so auth and identification headers can be added. It never holds
	// Content-Type; see ContentType.
	Header http.Header
	// Body is the request body; nil for GET and DELETE.
	Body []byte
	// ContentType is the body's media type: the rendered Content-Type
	// header template if there is one, else application/json when Body is
	// set.
	ContentType string
}

// RequestTemplate is a tool definition's request with every template parsed
// once. Render is safe for concurrent use.
type RequestTemplate struct {
	method  string
	hasBody bool
	urlMode bool
	url     urlTemplate
	headers []fieldTemplate // sorted by name
	query   []fieldTemplate // sorted by name
	body    *bodyNode       // nil: the arguments are the body
	phs     []Placeholder
	base    atomic.Pointer[parsedBase]
}

// fieldTemplate is one header or query parameter template.
type fieldTemplate struct {
	name    string // canonical header name, or query parameter name
	escName string // query parameter name, query-escaped
	field   string // "headers.X-Tenant", "query.verbose"
	t       *Template
	// optional is the template's only placeholder when it is exactly one
	// args or optional context placeholder: the field is dropped when that
	// value is missing.
	optional *Placeholder
}

// NewRequestTemplate parses every template of def: the URL or path, header
// and query values, and every string of the body JSON (object keys stay
// literal). An optional context placeholder, {{context.x?}}, is accepted as
// the whole value of a header, a query parameter or a body object field,
// the fields Render leaves out when the value is absent. A template that
// does not parse is a *ParseError naming its field.
func NewRequestTemplate(def *Definition) (*RequestTemplate, error) {
	return NewRequestTemplateWith(def, ParseOptions{})
}

// NewRequestTemplateWith parses def like NewRequestTemplate, also accepting
// the roots opts allows (conversation flows allow RootVariables). Values of
// an allowed root are rendered like args values, escaped for where they
// land, but never dropped when missing.
func NewRequestTemplateWith(def *Definition, opts ParseOptions) (*RequestTemplate, error) {
	flags := opts.flags()
	rt := &RequestTemplate{method: strings.ToUpper(def.EffectiveMethod())}
	switch rt.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		rt.hasBody = true
	}
	if def.URL != "" && def.Path != "" {
		return nil, &ParseError{Field: "url", Offset: -1, Reason: "url and path are exclusive; use url alone, or connection and path"}
	}
	field, src := "path", def.Path
	if def.URL != "" {
		rt.urlMode = true
		field, src = "url", def.URL
	}
	t, err := parseField(field, src, flags, false)
	if err != nil {
		return nil, err
	}
	if err := rt.url.compile(field, t, rt.urlMode); err != nil {
		return nil, err
	}
	rt.phs = append(rt.phs, t.placeholders...)

	for _, name := range sortedKeys(def.Headers) {
		field := "headers." + name
		if !httpguts.ValidHeaderFieldName(name) {
			return nil, &ParseError{Field: field, Offset: -1, Reason: "not a valid HTTP header name"}
		}
		t, err := parseField(field, def.Headers[name], flags, true)
		if err != nil {
			return nil, err
		}
		for _, p := range t.parts {
			if !p.isPh && !httpguts.ValidHeaderFieldValue(p.lit) {
				return nil, &ParseError{Field: field, Offset: -1, Reason: "header value contains a control character (CR, LF, NUL...)"}
			}
		}
		rt.headers = append(rt.headers, newFieldTemplate(http.CanonicalHeaderKey(name), field, t))
		rt.phs = append(rt.phs, t.placeholders...)
	}
	for _, name := range sortedKeys(def.Query) {
		field := "query." + name
		if name == "" {
			return nil, &ParseError{Field: field, Offset: -1, Reason: "query parameter name is empty"}
		}
		t, err := parseField(field, def.Query[name], flags, true)
		if err != nil {
			return nil, err
		}
		ft := newFieldTemplate(name, field, t)
		ft.escName = url.QueryEscape(name)
		rt.query = append(rt.query, ft)
		rt.phs = append(rt.phs, t.placeholders...)
	}
	if len(bytes.TrimSpace(def.Body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(def.Body))
		dec.UseNumber()
		node, err := compileBody(dec, "body", false, flags, &rt.phs)
		if err != nil {
			return nil, err
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, &ParseError{Field: "body", Offset: -1, Reason: "body must be a single JSON value"}
		}
		rt.body = node
	}
	return rt, nil
}

// parseField parses the template of one definition field. droppable says
// the field is left out when the value of its only placeholder is absent
// (a header, a query parameter, a body object field), so an optional
// {{context.x?}} may be its whole value.
func parseField(field, src string, flags parseFlags, droppable bool) (*Template, error) {
	t, err := parseTemplate(src, flags|allowOptional)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Field = field
		}
		return nil, err
	}
	for _, ph := range t.placeholders {
		if ph.Optional && (!droppable || !t.IsSinglePlaceholder()) {
			return nil, &ParseError{Field: field, Offset: -1, Expr: ph.Raw + "?", Reason: reasonOptionalNotWhole}
		}
	}
	return t, nil
}

// dropsWhenMissing returns the template's only placeholder when the field
// it fills is left out without a value: an argument (required ones are
// checked against the schema first) or an optional context value.
func dropsWhenMissing(t *Template) *Placeholder {
	if ph := t.single(); ph != nil && (ph.Root == RootArgs || ph.Optional) {
		return ph
	}
	return nil
}

func newFieldTemplate(name, field string, t *Template) fieldTemplate {
	return fieldTemplate{name: name, field: field, t: t, optional: dropsWhenMissing(t)}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Placeholders returns every placeholder of the request, in field order:
// URL or path, headers, query, body.
func (rt *RequestTemplate) Placeholders() []Placeholder { return slices.Clone(rt.phs) }

// BodyIsArguments reports whether the request sends the whole arguments
// object as its body (a POST, PUT or PATCH without a body template): then
// every argument is used even if no placeholder names it.
func (rt *RequestTemplate) BodyIsArguments() bool { return rt.hasBody && rt.body == nil }

// Render builds the request from s. baseURL is the connection's base URL
// (ignored when the definition has a URL); the template path is joined to its
// path with exactly one '/'. Values are encoded for where they land:
//
//   - path: each value is escaped as part of one segment ('/', '?', '#', '%'
//     and ';' included); a segment made from values that is empty, "." or
//     ".." is refused;
//   - query: names and values query-escaped; the base URL's own parameters
//     are kept, except those a rendered query template replaces;
//   - headers: a value with CR, LF, NUL or another control character (tab
//     excepted) is refused;
//   - body (POST, PUT, PATCH only): a string that is exactly one placeholder
//     takes the value's JSON type, other strings are interpolated; without a
//     body template the arguments object is the body ({} when nil).
//
// A template that is exactly one args placeholder, or one optional context
// placeholder ({{context.x?}}), whose value is missing drops its query
// parameter, header or body object field; any other missing value is a
// *RenderError naming the placeholder, as is a value refused above. Render
// is safe for concurrent use.
func (rt *RequestTemplate) Render(baseURL string, s *Scope) (*RenderedRequest, error) {
	u, err := rt.renderURL(baseURL, s)
	if err != nil {
		return nil, err
	}
	req := &RenderedRequest{Method: rt.method, URL: u}
	if err := rt.renderHeaders(req, s); err != nil {
		return nil, err
	}
	if rt.hasBody {
		if rt.body == nil {
			args := s.args()
			if args == nil {
				req.Body = []byte("{}")
			} else if req.Body, err = json.Marshal(args); err != nil {
				return nil, &RenderError{Field: "body", Reason: "arguments cannot be encoded as JSON: " + err.Error(), Kind: KindInvalidArguments}
			}
		} else {
			buf := make([]byte, 0, 256)
			buf, _, err = rt.body.render(buf, s)
			if err != nil {
				return nil, err
			}
			req.Body = buf
		}
		if req.ContentType == "" {
			req.ContentType = "application/json"
		}
	}
	return req, nil
}

func (s *Scope) args() map[string]any {
	if s == nil {
		return nil
	}
	return s.Args
}

func (rt *RequestTemplate) renderHeaders(req *RenderedRequest, s *Scope) error {
	req.Header = make(http.Header, len(rt.headers))
	if len(rt.headers) == 0 {
		return nil
	}
	values := make([]string, len(rt.headers))
	for i := range rt.headers {
		h := &rt.headers[i]
		v, present, err := h.headerText(s)
		if err != nil {
			return err
		}
		if !present {
			continue
		}
		if h.name == "Content-Type" {
			req.ContentType = v
			continue
		}
		values[i] = v
		req.Header[h.name] = values[i : i+1 : i+1]
	}
	return nil
}

// present reports whether a field template renders (is not dropped for a
// missing optional argument).
func (f *fieldTemplate) present(s *Scope) bool {
	if f.optional == nil {
		return true
	}
	_, ok := s.Lookup(f.optional)
	return ok
}

// headerText renders a header value: as text, a value with a line break or
// another control character (tab excepted) refused, since it could split or
// smuggle headers. present is false when the field is dropped.
func (f *fieldTemplate) headerText(s *Scope) (v string, present bool, err error) {
	if !f.present(s) {
		return "", false, nil
	}
	v, err = f.t.text(f.field, s, f.checkHeaderValue)
	return v, err == nil, err
}

func (f *fieldTemplate) checkHeaderValue(text string, ph *Placeholder) error {
	if httpguts.ValidHeaderFieldValue(text) {
		return nil
	}
	return &RenderError{Field: f.field, Placeholder: ph.Raw, Kind: kindOf(ph.Root),
		Reason: "value contains a line break or control character, which an HTTP header cannot carry; remove it"}
}

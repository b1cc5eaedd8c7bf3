package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// ErrorKind says who can fix a RenderError.
type ErrorKind int

const (
	// KindInvalidArguments: the caller's arguments or context produced a
	// value the request cannot carry (missing, "..", a line break in a
	// header). The gateway answers invalid_arguments; the model can retry.
	KindInvalidArguments ErrorKind = iota + 1
	// KindConfig: the tool or its connection is misconfigured (a missing
	// conn or secret value, a literal URL that does not parse). Only an
	// admin can fix it.
	KindConfig
)

// String returns "invalid_arguments" or "config".
func (k ErrorKind) String() string {
	switch k {
	case KindInvalidArguments:
		return "invalid_arguments"
	case KindConfig:
		return "config"
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// RenderError is a request that cannot be rendered from its template and
// scope. Its message is written for the model when Kind is
// KindInvalidArguments; it never contains a conn or secret value.
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
	if root == RootArgs || root == RootContext || root == RootVariables {
		return KindInvalidArguments
	}
	return KindConfig
}

// missingError is the error for a placeholder without a value.
func missingError(field string, ph *Placeholder) *RenderError {
	var reason string
	switch ph.Root {
	case RootArgs:
		reason = "a value is required here; provide this argument"
	case RootContext:
		reason = "missing value; the caller must send it in the call context"
	case RootConn:
		reason = "missing value in the connection's config; an admin must set it"
	case RootVariables:
		reason = "missing value; no earlier step of the conversation set this variable"
	default:
		reason = "missing secret in the connection; an admin must set it"
	}
	return &RenderError{Field: field, Placeholder: ph.Raw, Reason: reason, Kind: kindOf(ph.Root)}
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
	// args placeholder: the field is dropped when that value is missing.
	optional *Placeholder
}

// NewRequestTemplate parses every template of def: the URL or path, header
// and query values, and every string of the body JSON (object keys stay
// literal). A template that does not parse is a *ParseError naming its field.
func NewRequestTemplate(def *Definition) (*RequestTemplate, error) {
	return NewRequestTemplateWith(def, ParseOptions{})
}

// NewRequestTemplateWith parses def like NewRequestTemplate, also accepting
// the roots opts allows (conversation flows allow RootVariables). Values of
// an allowed root are rendered like args values, escaped for where they
// land, but never dropped when missing.
func NewRequestTemplateWith(def *Definition, opts ParseOptions) (*RequestTemplate, error) {
	roots := opts.roots()
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
	t, err := parseField(field, src, roots)
	if err != nil {
		return nil, err
	}
	if err := rt.url.compile(field, t, rt.urlMode); err != nil {
		return nil, err
	}
	rt.phs = append(rt.phs, t.placeholders...)

	for _, name := range sortedKeys(def.Headers) {
		field := "headers." + name
		if !validHeaderName(name) {
			return nil, &ParseError{Field: field, Offset: -1, Reason: "not a valid HTTP header name"}
		}
		t, err := parseField(field, def.Headers[name], roots)
		if err != nil {
			return nil, err
		}
		for _, p := range t.parts {
			if !p.isPh && hasCTL(p.lit) {
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
		t, err := parseField(field, def.Query[name], roots)
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
		node, err := compileBody(dec, "body", false, roots, &rt.phs)
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

func parseField(field, src string, roots rootSet) (*Template, error) {
	t, err := parseTemplate(src, roots)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Field = field
		}
		return nil, err
	}
	return t, nil
}

func newFieldTemplate(name, field string, t *Template) fieldTemplate {
	ft := fieldTemplate{name: name, field: field, t: t}
	if ph := t.single(); ph != nil && ph.Root == RootArgs {
		ft.optional = ph
	}
	return ft
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
// A template that is exactly one args placeholder whose value is missing
// drops its query parameter, header or body object field; any other missing
// value is a *RenderError naming the placeholder, as is a value refused
// above. Render is safe for concurrent use.
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
		v, present, err := h.text(s, escHeader)
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

// text renders a header or query value as text, checked (escHeader) but not
// escaped. present is false when the field is dropped.
func (f *fieldTemplate) text(s *Scope, mode escMode) (v string, present bool, err error) {
	if ph := f.t.single(); ph != nil {
		val, ok := s.Lookup(ph)
		if !ok {
			if f.optional != nil {
				return "", false, nil
			}
			return "", false, missingError(f.field, ph)
		}
		txt, err := f.checkedText(ph, val, mode)
		return txt, err == nil, err
	}
	var b strings.Builder
	for _, p := range f.t.parts {
		if !p.isPh {
			b.WriteString(p.lit)
			continue
		}
		ph := &f.t.placeholders[p.ph]
		val, ok := s.Lookup(ph)
		if !ok {
			return "", false, missingError(f.field, ph)
		}
		txt, err := f.checkedText(ph, val, mode)
		if err != nil {
			return "", false, err
		}
		b.WriteString(txt)
	}
	return b.String(), true, nil
}

func (f *fieldTemplate) checkedText(ph *Placeholder, val any, mode escMode) (string, error) {
	txt, err := valueText(f.field, ph, val)
	if err != nil {
		return "", err
	}
	if mode == escHeader && hasCTL(txt) {
		return "", &RenderError{Field: f.field, Placeholder: ph.Raw, Kind: kindOf(ph.Root),
			Reason: "value contains a line break or control character, which an HTTP header cannot carry; remove it"}
	}
	return txt, nil
}

// hasCTL reports whether s has a control character other than tab: header
// values with CR, LF or NUL could split or smuggle headers.
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return true
		}
	}
	return false
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 || !isTokenChar(c) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// ----- URL -----

// urlState is the URL component a part of the URL or path template is in.
type urlState int

const (
	inAuthority urlState = iota // scheme, userinfo, host, port
	inPath
	inQuery
	inFragment
)

// escMode says how a rendered value is encoded where it lands.
type escMode int

const (
	escRaw     escMode = iota // trusted conn value in the authority
	escSegment                // one path segment (or the fragment)
	escQuery                  // one query key or value
	escHeader                 // a header value: checked, not escaped
)

// urlTemplate is a URL or path template split by URL component. Path
// literals are split at '/' into segments, so the segment a placeholder
// lands in is known when it is rendered.
type urlTemplate struct {
	field     string
	t         *Template
	authority []tmplPart // URL mode only; placeholders (conn.*) inserted raw
	hasPath   bool
	segments  []urlSegment
	query     []tmplPart // after '?'
	fragment  []tmplPart // after '#'
	hasFrag   bool
	// check: the authority has placeholders, so the rendered URL is parsed
	// and checked on every render.
	check bool
}

// urlSegment is one path segment of the template.
type urlSegment struct {
	parts   []tmplPart
	dynamic bool // has a placeholder
}

func (u *urlTemplate) compile(field string, t *Template, urlMode bool) error {
	u.field, u.t = field, t
	state := inPath
	if urlMode {
		state = inAuthority
	}
	schemeDone := false
	var seg urlSegment
	add := func(p tmplPart) {
		switch state {
		case inAuthority:
			u.authority = append(u.authority, p)
		case inPath:
			u.hasPath = true
			seg.parts = append(seg.parts, p)
			seg.dynamic = seg.dynamic || p.isPh
		case inQuery:
			u.query = append(u.query, p)
		case inFragment:
			u.fragment = append(u.fragment, p)
		}
	}
	enter := func(c byte) {
		if c == '?' {
			state = inQuery
		} else {
			state, u.hasFrag = inFragment, true
		}
	}
	for _, p := range t.parts {
		if p.isPh {
			if state == inAuthority {
				ph := &t.placeholders[p.ph]
				if ph.Root != RootConn {
					return &ParseError{Field: field, Offset: -1, Expr: ph.Raw,
						Reason: "only conn.* placeholders may appear in the scheme or host; put arguments in the path or query"}
				}
				u.check = true
			}
			add(p)
			continue
		}
		lit := p.lit
		for lit != "" {
			switch state {
			case inAuthority:
				if !schemeDone {
					if k := strings.Index(lit, "://"); k >= 0 {
						add(tmplPart{lit: lit[:k+3]})
						lit, schemeDone = lit[k+3:], true
						continue
					}
				}
				k := strings.IndexAny(lit, "/?#")
				if k < 0 {
					add(tmplPart{lit: lit})
					lit = ""
					continue
				}
				if k > 0 {
					add(tmplPart{lit: lit[:k]})
				}
				if lit[k] == '/' {
					state, lit = inPath, lit[k:]
				} else {
					enter(lit[k])
					lit = lit[k+1:]
				}
			case inPath:
				k := strings.IndexAny(lit, "/?#")
				if k < 0 {
					add(tmplPart{lit: lit})
					lit = ""
					continue
				}
				if k > 0 {
					add(tmplPart{lit: lit[:k]})
				}
				c := lit[k]
				lit = lit[k+1:]
				if c == '/' {
					u.hasPath = true
					u.segments = append(u.segments, seg)
					seg = urlSegment{}
					continue
				}
				if u.hasPath {
					u.segments = append(u.segments, seg)
				}
				seg = urlSegment{}
				enter(c)
			case inQuery:
				k := strings.IndexByte(lit, '#')
				if k < 0 {
					add(tmplPart{lit: lit})
					lit = ""
					continue
				}
				if k > 0 {
					add(tmplPart{lit: lit[:k]})
				}
				enter('#')
				lit = lit[k+1:]
			case inFragment:
				add(tmplPart{lit: lit})
				lit = ""
			}
		}
	}
	if state == inPath && u.hasPath {
		u.segments = append(u.segments, seg)
	}
	return u.validate(urlMode)
}

// leadingSlash reports whether the template's path starts with '/'.
func (u *urlTemplate) leadingSlash() bool {
	return len(u.segments) > 1 && len(u.segments[0].parts) == 0
}

// validate checks that the literal parts parse as a URL, rendering every
// placeholder as "x".
func (u *urlTemplate) validate(urlMode bool) error {
	if u.check {
		return nil // checked on every render
	}
	var b strings.Builder
	if !urlMode {
		b.WriteString("http://h")
		if u.hasPath && !u.leadingSlash() {
			b.WriteByte('/')
		}
	}
	u.writeAll(&b, nil, true) // dummy values cannot fail
	parsed, err := url.Parse(b.String())
	if err != nil {
		return &ParseError{Field: u.field, Offset: -1, Reason: "does not parse as a URL: " + unwrapURLError(err)}
	}
	if urlMode {
		if msg := checkAbsolute(parsed); msg != "" {
			return &ParseError{Field: u.field, Offset: -1, Reason: msg}
		}
	}
	return nil
}

// writeAll writes the whole template (used to validate it).
func (u *urlTemplate) writeAll(b *strings.Builder, s *Scope, dummy bool) {
	_ = u.writeParts(b, u.authority, s, escRaw, dummy)
	_ = u.writePath(b, s, dummy)
	if len(u.query) > 0 {
		b.WriteByte('?')
		_ = u.writeParts(b, u.query, s, escQuery, dummy)
	}
	if u.hasFrag {
		b.WriteByte('#')
		_ = u.writeParts(b, u.fragment, s, escSegment, dummy)
	}
}

// writeParts writes literal parts as they are (they are admin-written URL
// text) and placeholder values encoded by mode. With dummy, every value is
// "x".
func (u *urlTemplate) writeParts(b *strings.Builder, parts []tmplPart, s *Scope, mode escMode, dummy bool) error {
	for _, p := range parts {
		if !p.isPh {
			b.WriteString(p.lit)
			continue
		}
		if dummy {
			b.WriteByte('x')
			continue
		}
		ph := &u.t.placeholders[p.ph]
		v, ok := s.Lookup(ph)
		if !ok {
			return missingError(u.field, ph)
		}
		txt, err := valueText(u.field, ph, v)
		if err != nil {
			return err
		}
		writeEscaped(b, txt, mode)
	}
	return nil
}

// writePath writes the template's path segments joined by '/', each value
// encoded as part of one segment. A segment built from a value that is
// empty, "." or ".." is refused: it would address another resource.
func (u *urlTemplate) writePath(b *strings.Builder, s *Scope, dummy bool) error {
	for i := range u.segments {
		seg := &u.segments[i]
		if i > 0 {
			b.WriteByte('/')
		}
		start := b.Len()
		if err := u.writeParts(b, seg.parts, s, escSegment, dummy); err != nil {
			return err
		}
		if !seg.dynamic || dummy {
			continue
		}
		got := b.String()[start:]
		if got != "" && got != "." && got != ".." {
			continue
		}
		var ph *Placeholder
		for _, p := range seg.parts {
			if p.isPh {
				ph = &u.t.placeholders[p.ph]
				break
			}
		}
		reason := "an empty value is not allowed in a URL path; provide a non-empty value"
		if got != "" {
			reason = fmt.Sprintf("value %q is not allowed in a URL path; pass the identifier itself", got)
		}
		return &RenderError{Field: u.field, Placeholder: ph.Raw, Reason: reason, Kind: kindOf(ph.Root)}
	}
	return nil
}

func unwrapURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// checkAbsolute returns why u is not an absolute http(s) URL, or "".
func checkAbsolute(u *url.URL) string {
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return "must be an absolute http or https URL"
	}
	return ""
}

// parsedBase is a connection base URL split for joining.
type parsedBase struct {
	raw    string
	prefix string // scheme://userinfo@host:port
	path   string // escaped
	query  string // raw
}

// parseBase parses a connection base URL, caching the last one: a tool's
// connection rarely changes.
func (rt *RequestTemplate) parseBase(raw string) (*parsedBase, error) {
	if pb := rt.base.Load(); pb != nil && pb.raw == raw {
		return pb, nil
	}
	if raw == "" {
		return nil, &RenderError{Field: "base_url", Reason: "the tool has a path but its connection has no base URL", Kind: KindConfig}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &RenderError{Field: "base_url", Reason: "connection base URL does not parse: " + unwrapURLError(err), Kind: KindConfig}
	}
	if msg := checkAbsolute(u); msg != "" {
		return nil, &RenderError{Field: "base_url", Reason: "connection base URL " + msg, Kind: KindConfig}
	}
	prefix := u.Scheme + "://"
	if u.User != nil {
		prefix += u.User.String() + "@"
	}
	pb := &parsedBase{raw: raw, prefix: prefix + u.Host, path: u.EscapedPath(), query: u.RawQuery}
	rt.base.Store(pb)
	return pb, nil
}

// renderURL writes scheme and host (from the URL template or the base URL),
// the joined path, then the query: the base URL's parameters (minus those a
// query template replaces), the URL or path template's own query, the query
// templates; then the template's fragment.
func (rt *RequestTemplate) renderURL(baseURL string, s *Scope) (string, error) {
	u := &rt.url
	var b strings.Builder
	var baseQuery string
	if rt.urlMode {
		b.Grow(len(u.t.src) + 32*len(rt.query) + 32)
		if err := u.writeParts(&b, u.authority, s, escRaw, false); err != nil {
			return "", err
		}
	} else {
		pb, err := rt.parseBase(baseURL)
		if err != nil {
			return "", err
		}
		b.Grow(len(baseURL) + len(u.t.src) + 32*len(rt.query) + 32)
		b.WriteString(pb.prefix)
		if !u.hasPath {
			b.WriteString(pb.path)
		} else {
			b.WriteString(strings.TrimSuffix(pb.path, "/"))
			if !u.leadingSlash() {
				b.WriteByte('/')
			}
		}
		baseQuery = pb.query
	}
	if err := u.writePath(&b, s, false); err != nil {
		return "", err
	}
	sep := byte('?')
	for pair := range strings.SplitSeq(baseQuery, "&") {
		if pair == "" || rt.overridden(pair, s) {
			continue
		}
		b.WriteByte(sep)
		b.WriteString(pair)
		sep = '&'
	}
	if len(u.query) > 0 {
		b.WriteByte(sep)
		sep = '&'
		if err := u.writeParts(&b, u.query, s, escQuery, false); err != nil {
			return "", err
		}
	}
	for i := range rt.query {
		if err := rt.query[i].writeQuery(&b, s, &sep); err != nil {
			return "", err
		}
	}
	if u.hasFrag {
		b.WriteByte('#')
		if err := u.writeParts(&b, u.fragment, s, escSegment, false); err != nil {
			return "", err
		}
	}
	out := b.String()
	if u.check {
		parsed, err := url.Parse(out)
		if err != nil {
			return "", &RenderError{Field: u.field, Reason: "rendered URL does not parse: " + unwrapURLError(err), Kind: KindConfig}
		}
		if msg := checkAbsolute(parsed); msg != "" {
			return "", &RenderError{Field: u.field, Reason: "rendered URL " + msg, Kind: KindConfig}
		}
	}
	return out, nil
}

// overridden reports whether a base URL query pair is replaced by a query
// template that renders.
func (rt *RequestTemplate) overridden(pair string, s *Scope) bool {
	if len(rt.query) == 0 {
		return false
	}
	key, _, _ := strings.Cut(pair, "=")
	if strings.ContainsAny(key, "%+") {
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
	}
	for i := range rt.query {
		if rt.query[i].name == key {
			return rt.query[i].present(s)
		}
	}
	return false
}

// writeQuery writes "name=value" (preceded by *sep) with both query-escaped:
// a value can never add a parameter. It writes nothing when the parameter is
// dropped for a missing optional argument.
func (f *fieldTemplate) writeQuery(b *strings.Builder, s *Scope, sep *byte) error {
	if f.optional != nil && !f.present(s) {
		return nil
	}
	b.WriteByte(*sep)
	*sep = '&'
	b.WriteString(f.escName)
	b.WriteByte('=')
	for _, p := range f.t.parts {
		if !p.isPh {
			writeEscaped(b, p.lit, escQuery)
			continue
		}
		ph := &f.t.placeholders[p.ph]
		v, ok := s.Lookup(ph)
		if !ok {
			return missingError(f.field, ph)
		}
		txt, err := valueText(f.field, ph, v)
		if err != nil {
			return err
		}
		writeEscaped(b, txt, escQuery)
	}
	return nil
}

// writeEscaped writes s encoded for mode. escSegment leaves unescaped what
// url.PathEscape does (unreserved characters and $&+:=@) and so encodes '/',
// '?', '#', '%' and ';'; escQuery matches url.QueryEscape.
func writeEscaped(b *strings.Builder, s string, mode escMode) {
	if mode == escRaw || mode == escHeader {
		b.WriteString(s)
		return
	}
	const hex = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unescaped(c, mode) {
			continue
		}
		b.WriteString(s[start:i])
		start = i + 1
		if c == ' ' && mode == escQuery {
			b.WriteByte('+')
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	b.WriteString(s[start:])
}

func unescaped(c byte, mode escMode) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return true
	}
	switch c {
	case '-', '_', '.', '~':
		return true
	case '$', '&', '+', ':', '=', '@':
		return mode == escSegment
	}
	return false
}

// ----- body -----

// bodyKind is the kind of a node of a body template.
type bodyKind int

const (
	bodyRaw      bodyKind = iota // JSON without placeholders, pre-encoded
	bodyTemplate                 // a string with placeholders
	bodyObject
	bodyArray
)

// bodyNode is a compiled body template: subtrees without placeholders are
// pre-encoded, so rendering copies them.
type bodyNode struct {
	kind   bodyKind
	raw    []byte
	t      *Template
	field  string // "body.customer.name"
	fields []bodyField
	elems  []*bodyNode
	// optional: a string that is exactly one args placeholder, as an
	// object's field: the field is dropped when the value is missing.
	optional bool
}

type bodyField struct {
	key  []byte // `"name":`
	node *bodyNode
}

// compileBody reads one JSON value from dec. inObject says the value is an
// object field's, which may be dropped.
func compileBody(dec *json.Decoder, field string, inObject bool, roots rootSet, phs *[]Placeholder) (*bodyNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, &ParseError{Field: field, Offset: -1, Reason: "body is not valid JSON: " + err.Error()}
	}
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			n := &bodyNode{kind: bodyObject, field: field}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, &ParseError{Field: field, Offset: -1, Reason: "body is not valid JSON: " + err.Error()}
				}
				key := kt.(string)
				child, err := compileBody(dec, field+"."+key, true, roots, phs)
				if err != nil {
					return nil, err
				}
				k := appendJSONString(nil, key)
				n.fields = append(n.fields, bodyField{key: append(k, ':'), node: child})
			}
			if _, err := dec.Token(); err != nil {
				return nil, &ParseError{Field: field, Offset: -1, Reason: "body is not valid JSON: " + err.Error()}
			}
			n.collapse()
			return n, nil
		}
		n := &bodyNode{kind: bodyArray, field: field}
		for dec.More() {
			child, err := compileBody(dec, field+"["+strconv.Itoa(len(n.elems))+"]", false, roots, phs)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, child)
		}
		if _, err := dec.Token(); err != nil {
			return nil, &ParseError{Field: field, Offset: -1, Reason: "body is not valid JSON: " + err.Error()}
		}
		n.collapse()
		return n, nil
	case string:
		t, err := parseField(field, tok, roots)
		if err != nil {
			return nil, err
		}
		if !t.HasPlaceholders() {
			return &bodyNode{kind: bodyRaw, raw: appendJSONString(nil, tok)}, nil
		}
		*phs = append(*phs, t.placeholders...)
		ph := t.single()
		return &bodyNode{kind: bodyTemplate, t: t, field: field,
			optional: inObject && ph != nil && ph.Root == RootArgs}, nil
	case json.Number:
		return &bodyNode{kind: bodyRaw, raw: []byte(tok)}, nil
	case bool:
		return &bodyNode{kind: bodyRaw, raw: strconv.AppendBool(nil, tok)}, nil
	default: // nil
		return &bodyNode{kind: bodyRaw, raw: []byte("null")}, nil
	}
}

// collapse pre-encodes an object or array whose children are all raw.
func (n *bodyNode) collapse() {
	var raw []byte
	switch n.kind {
	case bodyObject:
		raw = append(raw, '{')
		for i, f := range n.fields {
			if f.node.kind != bodyRaw {
				return
			}
			if i > 0 {
				raw = append(raw, ',')
			}
			raw = append(raw, f.key...)
			raw = append(raw, f.node.raw...)
		}
		raw = append(raw, '}')
	case bodyArray:
		raw = append(raw, '[')
		for i, e := range n.elems {
			if e.kind != bodyRaw {
				return
			}
			if i > 0 {
				raw = append(raw, ',')
			}
			raw = append(raw, e.raw...)
		}
		raw = append(raw, ']')
	default:
		return
	}
	*n = bodyNode{kind: bodyRaw, raw: raw}
}

// render appends the node's JSON to buf. dropped is true (and nothing is
// appended) when an optional field's argument is missing.
func (n *bodyNode) render(buf []byte, s *Scope) (out []byte, dropped bool, err error) {
	switch n.kind {
	case bodyRaw:
		return append(buf, n.raw...), false, nil
	case bodyObject:
		buf = append(buf, '{')
		first := true
		for _, f := range n.fields {
			mark := len(buf)
			if !first {
				buf = append(buf, ',')
			}
			buf = append(buf, f.key...)
			var dropped bool
			if buf, dropped, err = f.node.render(buf, s); err != nil {
				return nil, false, err
			}
			if dropped {
				buf = buf[:mark]
				continue
			}
			first = false
		}
		return append(buf, '}'), false, nil
	case bodyArray:
		buf = append(buf, '[')
		for i, e := range n.elems {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, _, err = e.render(buf, s); err != nil {
				return nil, false, err
			}
		}
		return append(buf, ']'), false, nil
	}
	// bodyTemplate
	if ph := n.t.single(); ph != nil {
		v, ok := s.Lookup(ph)
		if !ok {
			if n.optional {
				return buf, true, nil
			}
			return nil, false, missingError(n.field, ph)
		}
		if buf, err = appendJSONValue(buf, v); err != nil {
			return nil, false, &RenderError{Field: n.field, Placeholder: ph.Raw, Kind: kindOf(ph.Root),
				Reason: "value cannot be encoded as JSON: " + err.Error()}
		}
		return buf, false, nil
	}
	buf = append(buf, '"')
	for _, p := range n.t.parts {
		if !p.isPh {
			buf = appendJSONChars(buf, p.lit)
			continue
		}
		ph := &n.t.placeholders[p.ph]
		v, ok := s.Lookup(ph)
		if !ok {
			return nil, false, missingError(n.field, ph)
		}
		txt, err := valueText(n.field, ph, v)
		if err != nil {
			return nil, false, err
		}
		buf = appendJSONChars(buf, txt)
	}
	return append(buf, '"'), false, nil
}

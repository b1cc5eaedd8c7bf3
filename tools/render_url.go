package tools

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// urlState is the URL component a part of the URL or path template is in.
type urlState int

const (
	inAuthority urlState = iota // scheme, userinfo, host, port
	inPath
	inQuery
	inFragment
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
	b.WriteString(u.t.skeleton())
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

// writeParts writes literal parts as they are (they are admin-written URL
// text) and placeholder values through escape: url.PathEscape in the path
// and the fragment, so a value stays within one segment; url.QueryEscape in
// the query, so a value cannot add a parameter; nil (as they are) in the
// authority, where only trusted conn values may appear.
func (u *urlTemplate) writeParts(b *strings.Builder, parts []tmplPart, s *Scope, escape func(string) string) error {
	return u.t.expand(parts, u.field, s, func(text string, ph *Placeholder) error {
		if ph != nil && escape != nil {
			text = escape(text)
		}
		b.WriteString(text)
		return nil
	})
}

// writePath writes the template's path segments joined by '/', each value
// encoded as part of one segment. A segment built from a value that is
// empty, "." or ".." is refused: it would address another resource.
func (u *urlTemplate) writePath(b *strings.Builder, s *Scope) error {
	for i := range u.segments {
		seg := &u.segments[i]
		if i > 0 {
			b.WriteByte('/')
		}
		start := b.Len()
		if err := u.writeParts(b, seg.parts, s, url.PathEscape); err != nil {
			return err
		}
		if !seg.dynamic {
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
		if err := u.writeParts(&b, u.authority, s, nil); err != nil {
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
	if err := u.writePath(&b, s); err != nil {
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
		if err := u.writeParts(&b, u.query, s, url.QueryEscape); err != nil {
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
		if err := u.writeParts(&b, u.fragment, s, url.PathEscape); err != nil {
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
	return f.t.expand(f.t.parts, f.field, s, func(text string, _ *Placeholder) error {
		b.WriteString(url.QueryEscape(text))
		return nil
	})
}

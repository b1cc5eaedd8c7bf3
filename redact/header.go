package redact

import (
	"net/http"
	"net/url"
	"strings"
)

// Header returns a copy of h for recording: values of credential headers
// (DefaultHeaders and those added with WithHeaders) become Placeholder,
// and every other value is scrubbed with String. A nil h gives nil.
func (r *Redactor) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	deny := r.headersOrDefault()
	out := make(http.Header, len(h))
	for name, values := range h {
		copied := make([]string, len(values))
		if deny[http.CanonicalHeaderKey(name)] {
			for i := range copied {
				copied[i] = Placeholder
			}
		} else {
			for i, v := range values {
				copied[i] = r.String(v)
			}
		}
		out[name] = copied
	}
	return out
}

// HeaderValue returns one value of header name as Header records it:
// Placeholder for a credential header, else scrubbed with String.
func (r *Redactor) HeaderValue(name, value string) string {
	if r.headersOrDefault()[http.CanonicalHeaderKey(name)] {
		return Placeholder
	}
	return r.String(value)
}

// URL returns u scrubbed for recording: the password of any userinfo and
// the values of sensitive query parameters (DefaultQueryParams and those
// added with WithQueryParams) become Placeholder, then the whole text is
// scrubbed with String. u need not parse as a URL; the result is meant
// for people to read, not to be requested.
func (r *Redactor) URL(u string) string {
	return r.String(r.structuralURL(u))
}

// structuralURL redacts the parts of u that are secret by position,
// without parsing it strictly, so malformed input is still handled.
func (r *Redactor) structuralURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		authorityStart := i + len("://")
		authorityEnd := len(u)
		if j := strings.IndexAny(u[authorityStart:], "/?#"); j >= 0 {
			authorityEnd = authorityStart + j
		}
		authority := u[authorityStart:authorityEnd]
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			if colon := strings.Index(authority[:at], ":"); colon >= 0 {
				u = u[:authorityStart+colon+1] + Placeholder + u[authorityStart+at:]
			}
		}
	}
	q := strings.Index(u, "?")
	if q < 0 {
		return u
	}
	end := len(u)
	if h := strings.Index(u[q:], "#"); h >= 0 {
		end = q + h
	}
	names := r.queryNamesOrDefault()
	var b strings.Builder
	b.Grow(len(u))
	b.WriteString(u[:q+1])
	for i, pair := range strings.Split(u[q+1:end], "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		name, _, hasValue := strings.Cut(pair, "=")
		if hasValue && names[strings.ToLower(unescapeName(name))] {
			b.WriteString(name)
			b.WriteString("=" + Placeholder)
			continue
		}
		b.WriteString(pair)
	}
	b.WriteString(u[end:])
	return b.String()
}

func unescapeName(name string) string {
	if unescaped, err := url.QueryUnescape(name); err == nil {
		return unescaped
	}
	return name
}

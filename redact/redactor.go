package redact

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Placeholder replaces every redacted value.
const Placeholder = "[REDACTED]"

// MinSecretLen is the shortest secret value New accepts. Shorter values
// are ignored: replacing every "1" or "ab" in a run record would shred it
// while protecting nothing a guess could not find.
const MinSecretLen = 4

// maxPasses bounds the rounds of replacement. One round almost always
// suffices; a second is needed only when a placeholder and the text around
// it happen to form a secret anew (a secret such as "D]xy" next to
// another). If text still holds a secret after maxPasses, the whole text is
// replaced by Placeholder.
const maxPasses = 4

// Redactor replaces known secret values and credential headers. The zero
// value and a nil *Redactor redact only the default credential headers and
// query parameters.
type Redactor struct {
	secrets    []string // accepted secret values, for With
	forms      []string // every form of every secret, longest first
	formBytes  [][]byte // forms, as bytes, for Bytes
	headers    map[string]bool
	queryNames map[string]bool // lower-case
}

// DefaultHeaders are the request and response headers whose values are
// always replaced whole. It documents the defaults; changing it has no
// effect (use WithHeaders).
var DefaultHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

// DefaultQueryParams are the query parameter names whose values URL
// replaces whole (compared without regard to case). It documents the
// defaults; changing it has no effect (use WithQueryParams).
var DefaultQueryParams = []string{
	"access_token", "api_key", "api-key", "apikey", "client_secret", "code_verifier",
	"id_token", "key", "password", "refresh_token", "secret", "sig", "signature", "token",
}

// New returns a Redactor for the given secret values. Empty values, values
// shorter than MinSecretLen and duplicates are ignored, as are values (and
// encoded forms) that occur inside Placeholder itself, which no placeholder
// could hide.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	seen := map[string]bool{}
	for _, secret := range secrets {
		if len(secret) < MinSecretLen || slices.Contains(r.secrets, secret) {
			continue
		}
		r.secrets = append(r.secrets, secret)
		for _, form := range Forms(secret) {
			if seen[form] {
				continue
			}
			seen[form] = true
			r.forms = append(r.forms, form)
		}
	}
	slices.SortFunc(r.forms, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	r.formBytes = make([][]byte, len(r.forms))
	for i, form := range r.forms {
		r.formBytes[i] = []byte(form)
	}
	return r
}

// Forms returns the distinct forms of secret that New searches for: the raw
// value, its base64 encodings, its percent-encodings and its JSON-escaped
// form. Forms that occur inside Placeholder are left out, and so is a form
// that contains another form of the same secret (padded base64 contains
// unpadded): redacting the shorter one already breaks it.
func Forms(secret string) []string {
	raw := []byte(secret)
	candidates := []string{
		secret,
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
		url.QueryEscape(secret),
		url.PathEscape(secret),
		jsonEscape(secret, true),
		jsonEscape(secret, false),
	}
	candidates = slices.DeleteFunc(candidates, func(c string) bool {
		return c == "" || strings.Contains(Placeholder, c)
	})
	var forms []string
	for i, c := range candidates {
		if slices.Contains(candidates[:i], c) {
			continue
		}
		if slices.ContainsFunc(candidates, func(other string) bool {
			return other != c && strings.Contains(c, other)
		}) {
			continue
		}
		forms = append(forms, c)
	}
	return forms
}

// jsonEscape returns s as it appears between the quotes of a JSON string,
// with or without encoding/json's HTML escaping of <, > and &.
func jsonEscape(s string, escapeHTML bool) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		return ""
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return string(out[1 : len(out)-1])
}

// With returns a copy of r that also redacts the given secret values (for
// example an OAuth access token obtained during a call). The header and
// query parameter lists of r carry over.
func (r *Redactor) With(secrets ...string) *Redactor {
	if r == nil {
		return New(secrets...)
	}
	out := New(append(slices.Clip(r.secrets), secrets...)...)
	out.headers = r.headers
	out.queryNames = r.queryNames
	return out
}

// WithHeaders returns a copy of r that also replaces whole the values of
// the named headers (for example a connection's API key header).
func (r *Redactor) WithHeaders(names ...string) *Redactor {
	out := r.clone()
	out.headers = make(map[string]bool, len(r.headersOrDefault())+len(names))
	for name := range r.headersOrDefault() {
		out.headers[name] = true
	}
	for _, name := range names {
		out.headers[http.CanonicalHeaderKey(name)] = true
	}
	return out
}

// WithQueryParams returns a copy of r whose URL also replaces whole the
// values of the named query parameters (for example a connection's API key
// parameter).
func (r *Redactor) WithQueryParams(names ...string) *Redactor {
	out := r.clone()
	out.queryNames = make(map[string]bool, len(r.queryNamesOrDefault())+len(names))
	for name := range r.queryNamesOrDefault() {
		out.queryNames[name] = true
	}
	for _, name := range names {
		out.queryNames[strings.ToLower(name)] = true
	}
	return out
}

func (r *Redactor) clone() *Redactor {
	if r == nil {
		return &Redactor{}
	}
	out := *r
	return &out
}

var (
	defaultHeaders     = toSet(DefaultHeaders, http.CanonicalHeaderKey)
	defaultQueryParams = toSet(DefaultQueryParams, strings.ToLower)
)

func toSet(names []string, norm func(string) string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, name := range names {
		set[norm(name)] = true
	}
	return set
}

func (r *Redactor) headersOrDefault() map[string]bool {
	if r == nil || r.headers == nil {
		return defaultHeaders
	}
	return r.headers
}

func (r *Redactor) queryNamesOrDefault() map[string]bool {
	if r == nil || r.queryNames == nil {
		return defaultQueryParams
	}
	return r.queryNames
}

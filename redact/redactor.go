package redact

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf16"
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
// value, its base64 encodings (also as it appears inside a longer base64
// text, at each of the three byte alignments, as in "user:password"), its
// percent-encodings (upper- and lower-case hex) and its JSON-escaped forms
// (with and without HTML escaping, with escaped slashes, and ASCII-only).
// Forms that occur inside Placeholder are left out, and so is a form that
// contains another form of the same secret: redacting the shorter one
// already breaks it.
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
		lowerHexEscapes(url.QueryEscape(secret)),
		lowerHexEscapes(url.PathEscape(secret)),
		jsonEscape(secret, true),
		jsonEscape(secret, false),
		strings.ReplaceAll(jsonEscape(secret, false), "/", `\/`),
		jsonEscapeASCII(secret),
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		candidates = append(candidates, embeddedBase64(enc, raw)...)
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

// minEmbeddedBase64 is the shortest embedded base64 form searched for:
// shorter fragments would match unrelated text.
const minEmbeddedBase64 = 8

// embeddedBase64 returns the parts of raw's base64 encoding that appear
// whatever bytes precede and follow it inside a longer encoded text, for
// each alignment (0, 1 or 2 bytes before it modulo 3).
func embeddedBase64(enc *base64.Encoding, raw []byte) []string {
	var out []string
	for shift := range 3 {
		buf := make([]byte, shift+len(raw))
		copy(buf[shift:], raw)
		full := enc.WithPadding(base64.NoPadding).EncodeToString(buf)
		// Characters wholly determined by raw's bits: skip those that mix
		// in the preceding bytes, and a final one that mixes in following.
		start := (shift*8 + 5) / 6
		end := (shift + len(raw)) * 8 / 6
		if end-start >= minEmbeddedBase64 {
			out = append(out, full[start:end])
		}
	}
	return out
}

// lowerHexEscapes lower-cases the hex digits of percent-escapes.
func lowerHexEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = lowerHex(b[i+1])
			b[i+2] = lowerHex(b[i+2])
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// jsonEscapeASCII returns s JSON-escaped with every non-ASCII rune as \uXXXX
// (as Python's json.dumps writes it).
func jsonEscapeASCII(s string) string {
	var b strings.Builder
	for _, r := range jsonEscape(s, false) {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, "\\u%04x", u)
		}
	}
	return b.String()
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

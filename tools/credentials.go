package tools

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// credentialWords are the parts of a header or query parameter name that
// mark its value as a credential.
var credentialWords = []string{"auth", "cookie", "key", "token", "secret", "password", "passwd", "signature", "credential", "session"}

// IsCredentialName reports whether a header or query parameter name is one
// whose value is a credential: Authorization, cookies, and anything named
// like a key, token, secret, password or signature.
func IsCredentialName(name string) bool {
	lower := strings.ToLower(name)
	if lower == "sig" {
		return true
	}
	for _, w := range credentialWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// literalCredentials returns the values a tool definition writes literally
// into its credential headers and query parameters (a template without any
// placeholder): "Bearer your-api-token" and its token, for example. They
// are treated as secrets everywhere (the run record, the result the model
// reads), though they belong in a connection's secrets. fields names where
// each was found, for validation.
func literalCredentials(def *Definition) (values, fields []string) {
	add := func(field, value string) {
		value = strings.TrimSpace(value)
		if value == "" || strings.Contains(value, "{{") {
			return
		}
		values = append(values, value)
		if scheme, token, ok := strings.Cut(value, " "); ok && scheme != "" && strings.TrimSpace(token) != "" {
			values = append(values, strings.TrimSpace(token))
		}
		fields = append(fields, field)
	}
	for _, name := range slices.Sorted(maps.Keys(def.Headers)) {
		if IsCredentialName(name) {
			add("headers."+http.CanonicalHeaderKey(name), def.Headers[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(def.Query)) {
		if IsCredentialName(name) {
			add("query."+name, def.Query[name])
		}
	}
	return values, fields
}

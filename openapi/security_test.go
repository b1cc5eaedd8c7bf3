package openapi_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/tools"
)

// securityDoc is a document whose operations require schemes (YAML list of
// requirement objects per operation) defined in schemes.
func securityDoc(schemes string, opSecurity ...string) string {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: Secure, version: \"1\"}\nservers: [{url: \"https://api.example.com\"}]\n")
	b.WriteString("components:\n  securitySchemes:\n" + indent(schemes, "    "))
	b.WriteString("paths:\n")
	for i, sec := range opSecurity {
		b.WriteString("  /op" + string(rune('a'+i)) + ":\n    get:\n      summary: An operation that needs some security to be called.\n")
		b.WriteString("      security: " + sec + "\n      responses: {'200': {description: ok}}\n")
	}
	return b.String()
}

func TestConvertSecurity(t *testing.T) {
	tests := []struct {
		name     string
		schemes  string
		ops      []string
		want     tools.Auth
		warnings []string // paths
		// toolWarned lists the operations (by index) whose tool says the
		// connection's auth does not fit it.
		toolWarned []int
	}{
		{
			name:     "bearer",
			schemes:  "token: {type: http, scheme: bearer, bearerFormat: JWT}",
			ops:      []string{"[{token: []}]"},
			want:     tools.Auth{Type: tools.AuthBearer},
			warnings: []string{"secrets.token"},
		},
		{
			name:     "basic",
			schemes:  "basic: {type: http, scheme: basic}",
			ops:      []string{"[{basic: []}]"},
			want:     tools.Auth{Type: tools.AuthBasic},
			warnings: []string{"auth.username", "secrets.password"},
		},
		{
			name:     "api key in a header",
			schemes:  "key: {type: apiKey, in: header, name: X-API-Key}",
			ops:      []string{"[{key: []}]"},
			want:     tools.Auth{Type: tools.AuthAPIKey, In: "header", Name: "X-API-Key"},
			warnings: []string{"secrets.api_key"},
		},
		{
			name:     "api key in the query",
			schemes:  "key: {type: apiKey, in: query, name: api_key}",
			ops:      []string{"[{key: []}]"},
			want:     tools.Auth{Type: tools.AuthAPIKey, In: "query", Name: "api_key"},
			warnings: []string{"secrets.api_key"},
		},
		{
			name:       "api key in a cookie",
			schemes:    "key: {type: apiKey, in: cookie, name: sid}",
			ops:        []string{"[{key: []}]"},
			want:       tools.Auth{Type: tools.AuthNone},
			warnings:   []string{"auth"},
			toolWarned: []int{0},
		},
		{
			name: "oauth2 prefers client credentials, with the scopes the operations ask for",
			schemes: `oauth:
  type: oauth2
  flows:
    authorizationCode: {authorizationUrl: "https://auth.example.com/authorize", tokenUrl: "https://auth.example.com/token", scopes: {read: r, write: w, admin: a}}
    clientCredentials: {tokenUrl: "https://auth.example.com/cc-token", scopes: {read: r, write: w, admin: a}}`,
			ops:      []string{"[{oauth: [read]}]", "[{oauth: [write, read]}]"},
			want:     tools.Auth{Type: tools.AuthOAuth2ClientCredentials, TokenURL: "https://auth.example.com/cc-token", Scopes: []string{"read", "write"}},
			warnings: []string{"auth.client_id", "secrets.client_secret"},
		},
		{
			name: "oauth2 authorization code",
			schemes: `oauth:
  type: oauth2
  flows:
    authorizationCode: {authorizationUrl: "https://auth.example.com/authorize", tokenUrl: /token, scopes: {}}`,
			ops:      []string{"[{oauth: []}]"},
			want:     tools.Auth{Type: tools.AuthOAuth2AuthorizationCode, AuthorizeURL: "https://auth.example.com/authorize", TokenURL: "/token"},
			warnings: []string{"auth.client_id", "auth", "auth.token_url"},
		},
		{
			name:       "openid connect",
			schemes:    "oidc: {type: openIdConnect, openIdConnectUrl: 'https://auth.example.com/.well-known/openid-configuration'}",
			ops:        []string{"[{oidc: []}]"},
			want:       tools.Auth{Type: tools.AuthNone},
			warnings:   []string{"auth"},
			toolWarned: []int{0},
		},
		{
			name: "the scheme most operations accept wins; the others are marked",
			schemes: `key: {type: apiKey, in: header, name: X-Key}
token: {type: http, scheme: bearer}`,
			ops:        []string{"[{token: []}]", "[{key: []}, {token: []}]", "[{key: []}]", "[{token: []}]", "[]"},
			want:       tools.Auth{Type: tools.AuthBearer},
			warnings:   []string{"secrets.token", "auth"},
			toolWarned: []int{2},
		},
		{
			name: "schemes required together cannot be sent",
			schemes: `key: {type: apiKey, in: header, name: X-Key}
token: {type: http, scheme: bearer}`,
			ops:        []string{"[{key: [], token: []}]"},
			want:       tools.Auth{Type: tools.AuthNone},
			warnings:   []string{"auth"},
			toolWarned: []int{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := convert(t, securityDoc(tt.schemes, tt.ops...), openapi.Options{})
			if diff := cmp.Diff(tt.want, res.Connection.Auth); diff != "" {
				t.Errorf("auth (-want +got):\n%s", diff)
			}
			var paths []string
			for _, w := range res.Connection.Warnings {
				paths = append(paths, w.Path)
			}
			if diff := cmp.Diff(tt.warnings, paths); diff != "" {
				t.Errorf("connection warnings (-want +got):\n%s\n%+v", diff, res.Connection.Warnings)
			}
			var warned []int
			for i, tl := range res.Tools {
				for _, w := range tl.Warnings {
					if w.Path == "connection" && strings.Contains(w.Message, "the operation requires security") {
						warned = append(warned, i)
					}
				}
				if !tl.Valid {
					t.Errorf("tool %s: %+v", tl.Definition.Name, tl.Warnings)
				}
			}
			if diff := cmp.Diff(tt.toolWarned, warned); diff != "" {
				t.Errorf("tools warned about auth (-want +got):\n%s", diff)
			}
		})
	}
}

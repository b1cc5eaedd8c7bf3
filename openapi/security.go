package openapi

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/toolgate/toolgate/tools"
)

// connPlan is the connection the imported tools call through.
type connPlan struct {
	spec ConnectionSpec
	// scheme names the security scheme the auth comes from; "" for none.
	scheme string
	// base is the parsed base URL; nil when it is not an absolute URL.
	base *url.URL
}

// buildConnection chooses the connection's name, base URL and auth.
//
// The auth comes from the security scheme the most selected operations can
// use alone (ties: the one listed first in the document's security, then by
// name). Schemes toolgate can express: http bearer, http basic, apiKey in a
// header or the query, and OAuth2 client credentials (preferred) or
// authorization code, with the document's URLs and the scopes the selected
// operations ask for. Secrets, the OAuth2 client ID and the basic-auth
// username are left for the admin, with a warning each.
func buildConnection(doc *Document, opts Options, ops []operation) *connPlan {
	p := &connPlan{spec: ConnectionSpec{
		Name:     opts.ConnectionName,
		BaseURL:  opts.BaseURL,
		Auth:     tools.Auth{Type: tools.AuthNone},
		Warnings: []FieldWarning{},
	}}
	if p.spec.Name == "" {
		p.spec.Name = defaultConnectionName(doc.Title())
	}
	if p.spec.BaseURL == "" && len(doc.doc.Servers) > 0 {
		p.spec.BaseURL = serverURL(doc.doc.Servers[0])
	}
	if isAbsoluteHTTP(p.spec.BaseURL) {
		p.base, _ = url.Parse(p.spec.BaseURL)
	} else {
		msg := "the document names no absolute server URL"
		if p.spec.BaseURL != "" {
			msg = fmt.Sprintf("the document's server URL %q is not absolute", p.spec.BaseURL)
		}
		p.warn("base_url", "%s; set the connection's base URL (https://...)", msg)
	}
	p.chooseAuth(doc, ops)
	return p
}

func (p *connPlan) warn(path, format string, args ...any) {
	p.spec.Warnings = append(p.spec.Warnings, FieldWarning{Path: path, Message: fmt.Sprintf(format, args...)})
}

// securityOf returns the security requirements that apply to op.
func securityOf(doc *openapi3.T, op *openapi3.Operation) openapi3.SecurityRequirements {
	if op.Security != nil {
		return *op.Security
	}
	return doc.Security
}

func (p *connPlan) chooseAuth(doc *Document, ops []operation) {
	var schemes openapi3.SecuritySchemes
	if doc.doc.Components != nil {
		schemes = doc.doc.Components.SecuritySchemes
	}
	if len(schemes) == 0 {
		p.warn("auth", "the document declares no security scheme; set the connection's auth if the API needs one")
		return
	}
	uses := map[string]int{}
	scopes := map[string][]string{}
	for _, o := range ops {
		if o.op == nil {
			continue
		}
		for _, req := range securityOf(doc.doc, o.op) {
			if len(req) != 1 {
				continue // several schemes at once: toolgate sends one
			}
			for name, sc := range req {
				uses[name]++
				for _, s := range sc {
					if !slices.Contains(scopes[name], s) {
						scopes[name] = append(scopes[name], s)
					}
				}
			}
		}
	}
	var globalOrder []string
	for _, req := range doc.doc.Security {
		for _, name := range sortedKeys(req) {
			globalOrder = append(globalOrder, name)
		}
	}
	rank := func(name string) int {
		if i := slices.Index(globalOrder, name); i >= 0 {
			return i
		}
		return len(globalOrder)
	}
	var best string
	var bestAuth tools.Auth
	var bestNotes []FieldWarning
	reasons := map[string]string{}
	for _, name := range sortedKeys(schemes) {
		ref := schemes[name]
		if ref == nil || ref.Value == nil || uses[name] == 0 {
			continue
		}
		auth, notes, reason := authFromScheme(ref.Value, scopes[name])
		if reason != "" {
			reasons[name] = reason
			continue
		}
		if best == "" || uses[name] > uses[best] || (uses[name] == uses[best] && rank(name) < rank(best)) {
			best, bestAuth, bestNotes = name, auth, notes
		}
	}
	for _, name := range sortedKeys(reasons) {
		p.warn("auth", "security scheme %s is not used: %s", name, reasons[name])
	}
	if best == "" {
		if len(reasons) == 0 {
			p.warn("auth", "no selected operation requires one of the document's security schemes (%s); set the connection's auth if the API needs one", strings.Join(sortedKeys(schemes), ", "))
		}
		return
	}
	p.scheme = best
	p.spec.Auth = bestAuth
	p.spec.Warnings = append(p.spec.Warnings, bestNotes...)
	for _, name := range sortedKeys(uses) {
		if name != best && reasons[name] == "" && schemes[name] != nil {
			p.warn("auth", "security scheme %s is not used: the connection authenticates with %s; operations that need %s are marked", name, best, name)
		}
	}
}

// authFromScheme maps a security scheme to a connection's auth. It returns
// the auth, notes on what the admin must still set, or a reason the scheme
// cannot be expressed.
func authFromScheme(s *openapi3.SecurityScheme, scopes []string) (tools.Auth, []FieldWarning, string) {
	secret := func(name string) FieldWarning {
		return FieldWarning{Path: "secrets." + name, Message: "set the " + name + " secret: secrets are never imported"}
	}
	switch strings.ToLower(s.Type) {
	case "http":
		switch strings.ToLower(s.Scheme) {
		case "bearer":
			return tools.Auth{Type: tools.AuthBearer}, []FieldWarning{secret(tools.SecretToken)}, ""
		case "basic":
			return tools.Auth{Type: tools.AuthBasic}, []FieldWarning{
				{Path: "auth.username", Message: "set the basic-auth username"},
				secret(tools.SecretPassword),
			}, ""
		}
		return tools.Auth{}, nil, fmt.Sprintf("HTTP scheme %q is not supported (bearer and basic are)", s.Scheme)
	case "apikey":
		switch s.In {
		case "header", "query":
			a := tools.Auth{Type: tools.AuthAPIKey, In: s.In, Name: s.Name}
			if errs := a.Validate("auth"); len(errs) > 0 {
				return tools.Auth{}, nil, errs[0].Path + " " + errs[0].Message
			}
			return a, []FieldWarning{secret(tools.SecretAPIKey)}, ""
		}
		return tools.Auth{}, nil, fmt.Sprintf("an API key in %q is not supported (header and query are)", s.In)
	case "oauth2":
		f := s.Flows
		if f == nil {
			return tools.Auth{}, nil, "it has no flows"
		}
		var a tools.Auth
		var flow *openapi3.OAuthFlow
		switch {
		case f.ClientCredentials != nil:
			a, flow = tools.Auth{Type: tools.AuthOAuth2ClientCredentials}, f.ClientCredentials
		case f.AuthorizationCode != nil:
			a, flow = tools.Auth{Type: tools.AuthOAuth2AuthorizationCode, AuthorizeURL: f.AuthorizationCode.AuthorizationURL}, f.AuthorizationCode
		default:
			return tools.Auth{}, nil, "only the OAuth2 client credentials and authorization code flows are supported"
		}
		a.TokenURL = flow.TokenURL
		a.Scopes = slices.Clone(scopes)
		slices.Sort(a.Scopes)
		notes := []FieldWarning{{Path: "auth.client_id", Message: "set the OAuth2 client ID"}}
		if a.Type == tools.AuthOAuth2ClientCredentials {
			notes = append(notes, secret(tools.SecretClientSecret))
		} else {
			notes = append(notes, FieldWarning{Path: "auth", Message: "authorize the connection once the client ID (and client_secret, if the provider issues one) are set"})
		}
		if !isAbsoluteHTTP(a.TokenURL) {
			notes = append(notes, FieldWarning{Path: "auth.token_url", Message: fmt.Sprintf("the document's token URL %q is not absolute; set it", a.TokenURL)})
		}
		if a.Type == tools.AuthOAuth2AuthorizationCode && !isAbsoluteHTTP(a.AuthorizeURL) {
			notes = append(notes, FieldWarning{Path: "auth.authorize_url", Message: fmt.Sprintf("the document's authorization URL %q is not absolute; set it", a.AuthorizeURL)})
		}
		return a, notes, ""
	case "openidconnect":
		return tools.Auth{}, nil, "OpenID Connect discovery is not supported; configure OAuth2 with the provider's URLs"
	}
	return tools.Auth{}, nil, fmt.Sprintf("type %q is not supported", s.Type)
}

// fakeSecrets sets every secret an auth type reads, so validating a tool
// against the planned connection does not warn about secrets the admin will
// set later.
func fakeSecrets(a tools.Auth) map[string]string {
	out := map[string]string{}
	for _, name := range a.SecretNames() {
		out[name] = "set-by-admin"
	}
	return out
}

// acceptsConnectionAuth reports whether the connection's auth satisfies
// the security requirements of op: it is in one of its alternatives, or the
// operation needs none.
func acceptsConnectionAuth(reqs openapi3.SecurityRequirements, scheme string) bool {
	if len(reqs) == 0 {
		return true
	}
	for _, req := range reqs {
		if len(req) == 0 {
			return true
		}
		if _, ok := req[scheme]; ok && len(req) == 1 {
			return true
		}
	}
	return false
}

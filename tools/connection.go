package tools

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Auth types of a connection.
const (
	AuthNone                    = "none"
	AuthBearer                  = "bearer"
	AuthAPIKey                  = "api_key"
	AuthBasic                   = "basic"
	AuthOAuth2ClientCredentials = "oauth2_client_credentials"
	AuthOAuth2AuthorizationCode = "oauth2_authorization_code"
)

// Secret names read by the built-in auth types.
const (
	SecretToken        = "token"
	SecretAPIKey       = "api_key"
	SecretPassword     = "password"
	SecretClientSecret = "client_secret"
)

// Auth is how a connection authenticates upstream. Fields beyond Type apply
// to the types named in their comments.
type Auth struct {
	Type string `json:"type" jsonschema_description:"How the connection authenticates upstream."`
	// In is "header" or "query" (api_key).
	In string `json:"in,omitempty" jsonschema_description:"Where the API key goes (api_key)."`
	// Name is the header or query parameter name (api_key).
	Name string `json:"name,omitempty" jsonschema_description:"The header or query parameter that carries the API key (api_key)."`
	// Username is the basic-auth user (basic).
	Username string `json:"username,omitempty" jsonschema_description:"The basic-auth user (basic); the password is the password secret."`

	// OAuth2 settings (oauth2_*).
	TokenURL             string            `json:"token_url,omitempty" jsonschema_description:"The token endpoint (oauth2_*)."`
	AuthorizeURL         string            `json:"authorize_url,omitempty" jsonschema_description:"The authorization endpoint (oauth2_authorization_code)."`
	ClientID             string            `json:"client_id,omitempty" jsonschema_description:"The OAuth2 client ID (oauth2_*); the client secret is the client_secret secret."`
	Scopes               []string          `json:"scopes,omitempty" jsonschema_description:"The scopes to ask for (oauth2_*)."`
	Audience             string            `json:"audience,omitempty" jsonschema_description:"The audience parameter some providers require (oauth2_*)."`
	AuthStyle            string            `json:"auth_style,omitempty" jsonschema_description:"How the client authenticates to the token endpoint: HTTP basic (header), form parameters (params) or whichever works (auto). Unset: header when the client_secret secret is set, else params."`
	RedirectURL          string            `json:"redirect_url,omitempty" jsonschema_description:"The OAuth callback URL registered with the provider (oauth2_authorization_code). Defaults to the gateway's callback, TOOLGATE_PUBLIC_URL/v1/oauth/callback."`
	ExtraAuthorizeParams map[string]string `json:"extra_authorize_params,omitempty" jsonschema_description:"Extra query parameters of the authorization URL (access_type=offline...)."`
}

// IsOAuth2 reports whether the connection uses one of the OAuth2 types.
func (a *Auth) IsOAuth2() bool {
	return a.Type == AuthOAuth2ClientCredentials || a.Type == AuthOAuth2AuthorizationCode
}

// FieldError is a problem with one field of an admin's input, named by its
// path (for example "auth.name" or "input_schema.properties.age").
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Validate returns the problems of an auth configuration, with paths under
// prefix (usually "auth").
func (a *Auth) Validate(prefix string) []FieldError {
	var errs []FieldError
	add := func(field, msg string) { errs = append(errs, FieldError{Path: prefix + "." + field, Message: msg}) }
	switch a.Type {
	case "", AuthNone, AuthBearer:
	case AuthAPIKey:
		if a.In != "header" && a.In != "query" {
			add("in", `must be "header" or "query"`)
		}
		if a.Name == "" {
			add("name", "is required: the header or query parameter that carries the key")
		} else if a.In == "header" && !httpguts.ValidHeaderFieldName(a.Name) {
			add("name", "is not a valid header name")
		} else if a.In == "header" && isReservedHeader(a.Name) {
			add("name", "cannot be a reserved header")
		}
	case AuthBasic:
		if a.Username == "" {
			add("username", "is required")
		}
	case AuthOAuth2ClientCredentials, AuthOAuth2AuthorizationCode:
		if !IsHTTPURL(a.TokenURL) {
			add("token_url", "must be an http or https URL")
		}
		if a.ClientID == "" {
			add("client_id", "is required")
		}
		if a.Type == AuthOAuth2AuthorizationCode && !IsHTTPURL(a.AuthorizeURL) {
			add("authorize_url", "must be an http or https URL")
		}
		if a.RedirectURL != "" && !IsHTTPURL(a.RedirectURL) {
			add("redirect_url", "must be an http or https URL")
		}
		switch a.AuthStyle {
		case "", "header", "params", "auto":
		default:
			add("auth_style", `must be "header", "params" or "auto"`)
		}
	default:
		add("type", "must be one of none, bearer, api_key, basic, oauth2_client_credentials, oauth2_authorization_code")
	}
	return errs
}

// SecretNames returns the secrets the auth type reads, for warnings when one
// is unset.
func (a *Auth) SecretNames() []string {
	switch a.Type {
	case AuthBearer:
		return []string{SecretToken}
	case AuthAPIKey:
		return []string{SecretAPIKey}
	case AuthBasic:
		return []string{SecretPassword}
	case AuthOAuth2ClientCredentials:
		return []string{SecretClientSecret}
	}
	return nil
}

// IsHTTPURL reports whether s is an absolute http or https URL with a host.
func IsHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// ValidateBaseURL checks a connection's base URL.
func ValidateBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errBadBaseURL
	}
	if u.Fragment != "" || u.User != nil {
		return errBadBaseURL
	}
	return nil
}

var errBadBaseURL = fieldErr("must be an absolute http or https URL without user info or fragment")

type fieldErr string

func (e fieldErr) Error() string { return string(e) }

// hopHeaders may never be set by tool or connection headers: the gateway
// owns framing, hop-by-hop headers and its own identification headers.
var hopHeaders = []string{
	"Host", "Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Content-Length", "Idempotency-Key",
}

// credentialHeaders may be set by an admin's template only from connection
// values and secrets, never from a caller's arguments or context.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// isReservedHeader reports whether no template may set header name.
func isReservedHeader(name string) bool {
	c := http.CanonicalHeaderKey(name)
	return slices.Contains(hopHeaders, c) || strings.HasPrefix(c, "X-Toolgate-")
}

// IsCredentialHeader reports whether name carries credentials.
func IsCredentialHeader(name string) bool {
	return slices.Contains(credentialHeaders, http.CanonicalHeaderKey(name))
}

// ValidateHeader checks one header of a connection or tool: a valid name the
// gateway does not own, and no CR, LF or NUL in the value.
func ValidateHeader(prefix, name, value string) []FieldError {
	path := prefix + "." + name
	switch {
	case !httpguts.ValidHeaderFieldName(name):
		return []FieldError{{path, "is not a valid header name"}}
	case isReservedHeader(name):
		return []FieldError{{path, "is set by the gateway and cannot be configured"}}
	case strings.ContainsAny(value, "\r\n\x00"):
		return []FieldError{{path, "must not contain CR, LF or NUL"}}
	}
	return nil
}

// ValidName reports whether s is a valid tool, connection or secret name:
// ^[a-zA-Z0-9_-]{1,64}$.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

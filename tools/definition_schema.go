package tools

import (
	"encoding/json"
	"strconv"

	"github.com/invopop/jsonschema"
)

// NamePattern is the names ValidName accepts (tools, connections,
// secrets), as a regular expression.
const NamePattern = `^[a-zA-Z0-9_-]{1,64}$`

// Methods are the HTTP methods a tool may call.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// AuthTypes are the auth types of a connection.
var AuthTypes = []string{AuthNone, AuthBearer, AuthAPIKey, AuthBasic, AuthOAuth2ClientCredentials, AuthOAuth2AuthorizationCode}

// AuthStyles are the values of an OAuth2 connection's auth_style.
var AuthStyles = []string{"header", "params", "auto"}

// ResponseMaxBytesMax bounds response.max_bytes.
const ResponseMaxBytesMax = maxResponseCap

// The JSONSchemaExtend methods below give the JSON Schemas generated from
// these types (package apidoc, with github.com/invopop/jsonschema) the
// bounds, defaults and enums the code applies, from the same constants.

// JSONSchemaExtend implements jsonschema's extender.
func (Definition) JSONSchemaExtend(s *jsonschema.Schema) { ExtendDefinitionSchema(s) }

// ExtendDefinitionSchema adds a tool definition's bounds and defaults to s,
// the schema of Definition or of a type that embeds it.
func ExtendDefinitionSchema(s *jsonschema.Schema) {
	name := property(s, "name")
	name.Pattern = NamePattern
	property(s, "description").MinLength = uintPtr(1)
	method := property(s, "method")
	method.Enum, method.Default = strings2any(Methods), MethodDefault
	property(s, "connection").Pattern = NamePattern
	for _, field := range []string{"input_schema", "output_schema"} {
		property(s, field).Type = "object"
	}
	timeout := property(s, "timeout_ms")
	timeout.Minimum, timeout.Maximum, timeout.Default = number(TimeoutMSMin), number(TimeoutMSMax), TimeoutMSDefault
	property(s, "background").Default = false
	property(s, "allow_background_override").Default = false
}

// JSONSchemaExtend implements jsonschema's extender.
func (ResponseConfig) JSONSchemaExtend(s *jsonschema.Schema) {
	maxBytes := property(s, "max_bytes")
	maxBytes.Minimum, maxBytes.Maximum, maxBytes.Default = number(1), number(ResponseMaxBytesMax), MaxBytesDefault
	property(s, "select").Items.MinLength = uintPtr(1)
}

// JSONSchemaExtend implements jsonschema's extender.
func (RetryConfig) JSONSchemaExtend(s *jsonschema.Schema) {
	attempts := property(s, "max_attempts")
	attempts.Minimum, attempts.Maximum, attempts.Default = number(1), number(MaxAttemptsMax), MaxAttemptsDefault
}

// JSONSchemaExtend implements jsonschema's extender.
func (Auth) JSONSchemaExtend(s *jsonschema.Schema) {
	typ := property(s, "type")
	typ.Enum, typ.Default = strings2any(AuthTypes), AuthNone
	s.Required = nil // an absent type is none
	property(s, "in").Enum = []any{"header", "query"}
	property(s, "auth_style").Enum = strings2any(AuthStyles)
	for _, field := range []string{"token_url", "authorize_url", "redirect_url"} {
		property(s, field).Format = "uri"
	}
}

// property returns the schema of one property of s. It panics when there
// is none: a JSONSchemaExtend method names a field the type does not have.
func property(s *jsonschema.Schema, name string) *jsonschema.Schema {
	if s.Properties != nil {
		if p, ok := s.Properties.Get(name); ok {
			return p
		}
	}
	panic("jsonschema: no property " + name)
}

func number(n int) json.Number { return json.Number(strconv.Itoa(n)) }

func uintPtr(n uint64) *uint64 { return &n }

func strings2any(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

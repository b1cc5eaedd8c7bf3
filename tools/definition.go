package tools

import "encoding/json"

// Methods are the HTTP methods a tool may use.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// Definition is a tool as an admin registers it: one HTTP operation an agent
// may call. It is stored as JSON; published versions are immutable copies.
type Definition struct {
	// Name is the tool's name as the model sees it: ^[a-zA-Z0-9_-]{1,64}$.
	Name string `json:"name"`
	// Description is the execution description: when the model may call it.
	Description string `json:"description"`
	// Method is GET, POST, PUT, PATCH or DELETE. Defaults to GET.
	Method string `json:"method,omitempty"`
	// URL is the full URL template; exclusive with Connection+Path.
	URL string `json:"url,omitempty"`
	// Connection names a saved connection whose base URL Path extends.
	Connection string `json:"connection,omitempty"`
	// Path is the path template appended to the connection's base URL.
	Path string `json:"path,omitempty"`
	// Headers are header templates; they override the connection's.
	Headers map[string]string `json:"headers,omitempty"`
	// Query are query parameter templates.
	Query map[string]string `json:"query,omitempty"`
	// Body is a JSON template. Defaults to the arguments for POST, PUT and
	// PATCH.
	Body json.RawMessage `json:"body,omitempty"`
	// InputSchema is the JSON Schema (type object) of the arguments.
	InputSchema json.RawMessage `json:"input_schema,omitempty"`
	// OutputSchema is the JSON Schema (type object) of the upstream's
	// success response, when known (the OpenAPI import sets it). MCP
	// publishes it as the tool's outputSchema. It is not enforced upstream.
	OutputSchema json.RawMessage `json:"output_schema,omitempty"`
	// TimeoutMS bounds the whole exchange. Defaults to TimeoutMSDefault.
	TimeoutMS int `json:"timeout_ms,omitempty"`
	// Background runs the call as a durable job.
	Background bool `json:"background,omitempty"`
	// AllowBackgroundOverride lets a call choose foreground or background.
	AllowBackgroundOverride bool `json:"allow_background_override,omitempty"`
	// Response shapes the result for the model.
	Response *ResponseConfig `json:"response,omitempty"`
	// Retry configures background retries.
	Retry *RetryConfig `json:"retry,omitempty"`

	// Confirm makes the caller agree before the call runs: the model reads
	// the message back and calls again with the token it was given.
	Confirm *ConfirmConfig `json:"confirm,omitempty"`
	// Approval makes an admin approve each call before it runs.
	Approval *ApprovalConfig `json:"approval,omitempty"`
	// Limits bound how often and how many calls at once reach the
	// upstream.
	Limits []Limit `json:"limits,omitempty"`
	// Cache answers repeated calls from a stored result (GET or ReadOnly
	// tools only).
	Cache *CacheConfig `json:"cache,omitempty"`
	// ReadOnly marks a tool that changes nothing upstream whatever its
	// method, so its results may be cached.
	ReadOnly bool `json:"read_only,omitempty"`
}

// ResponseConfig shapes an upstream response for a model's context window.
type ResponseConfig struct {
	// SaveTo names the result (used by flows).
	SaveTo string `json:"save_to,omitempty"`
	// Select lists gjson-style paths; the result is an object of just those.
	Select []string `json:"select,omitempty"`
	// MaxBytes caps the shaped result. Defaults to MaxBytesDefault.
	MaxBytes int `json:"max_bytes,omitempty"`
}

// RetryConfig bounds the attempts of a background run.
type RetryConfig struct {
	// MaxAttempts defaults to MaxAttemptsDefault.
	MaxAttempts int `json:"max_attempts,omitempty"`
}

// Defaults and bounds of a Definition.
const (
	MethodDefault      = "GET"
	TimeoutMSDefault   = 10000
	TimeoutMSMin       = 100
	TimeoutMSMax       = 120000
	MaxBytesDefault    = 16 << 10
	MaxAttemptsDefault = 3
	MaxAttemptsMax     = 10
)

// EffectiveMethod returns Method or MethodDefault.
func (d *Definition) EffectiveMethod() string {
	if d.Method == "" {
		return MethodDefault
	}
	return d.Method
}

// EffectiveTimeoutMS returns TimeoutMS or TimeoutMSDefault.
func (d *Definition) EffectiveTimeoutMS() int {
	if d.TimeoutMS == 0 {
		return TimeoutMSDefault
	}
	return d.TimeoutMS
}

// EffectiveMaxBytes returns the response cap for the shaped result.
func (d *Definition) EffectiveMaxBytes() int {
	if d.Response == nil || d.Response.MaxBytes == 0 {
		return MaxBytesDefault
	}
	return d.Response.MaxBytes
}

// EffectiveMaxAttempts returns the retry bound of a background run.
func (d *Definition) EffectiveMaxAttempts() int {
	if d.Retry == nil || d.Retry.MaxAttempts == 0 {
		return MaxAttemptsDefault
	}
	return d.Retry.MaxAttempts
}

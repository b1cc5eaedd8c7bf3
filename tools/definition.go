package tools

import "encoding/json"

// Definition is a tool as an admin registers it: one HTTP operation an agent
// may call. It is stored as JSON; published versions are immutable copies.
type Definition struct {
	// Name is the tool's name as the model sees it: ^[a-zA-Z0-9_-]{1,64}$.
	Name string `json:"name" jsonschema_description:"The tool's name as the model sees it; unique in the workspace."`
	// Description is the execution description: when the model may call it.
	Description string `json:"description" jsonschema_description:"The execution description: what the tool does and when the model may call it (which facts must be known first)."`
	// Method is GET, POST, PUT, PATCH or DELETE. Defaults to GET.
	Method string `json:"method,omitempty" jsonschema_description:"The HTTP method."`
	// URL is the full URL template; exclusive with Connection+Path.
	URL string `json:"url,omitempty" jsonschema_description:"The full URL template ({{args.x}}, {{context.x}}). Exclusive with connection + path."`
	// Connection names a saved connection whose base URL Path extends.
	Connection string `json:"connection,omitempty" jsonschema_description:"A saved connection whose base URL path extends and whose headers and credentials the call uses."`
	// Path is the path template appended to the connection's base URL.
	Path string `json:"path,omitempty" jsonschema_description:"The path template appended to the connection's base URL; each placeholder fills one path segment."`
	// Headers are header templates; they override the connection's.
	Headers map[string]string `json:"headers,omitempty" jsonschema_description:"Header templates; they override the connection's headers. A header whose value is exactly {{context.x?}} is dropped when the value is absent."`
	// Query are query parameter templates.
	Query map[string]string `json:"query,omitempty" jsonschema_description:"Query parameter templates; a parameter whose value is exactly one optional placeholder is dropped when the value is absent."`
	// Body is a JSON template. Defaults to the arguments for POST, PUT and
	// PATCH.
	Body json.RawMessage `json:"body,omitempty" jsonschema_description:"The JSON body template: a string that is exactly one placeholder keeps the argument's JSON type. Without it, POST, PUT and PATCH send the arguments."`
	// InputSchema is the JSON Schema (type object) of the arguments.
	InputSchema json.RawMessage `json:"input_schema,omitempty" jsonschema_description:"The JSON Schema (2020-12, type object) of the arguments the model sends; checked before anything is sent."`
	// OutputSchema is the JSON Schema (type object) of the upstream's
	// success response, when known (the OpenAPI import sets it). MCP
	// publishes it as the tool's outputSchema. It is not enforced upstream.
	OutputSchema json.RawMessage `json:"output_schema,omitempty" jsonschema_description:"The JSON Schema of the upstream's success response, when known (the OpenAPI import sets it), shown to MCP clients as outputSchema (a result other than an object is wrapped as {\"result\": ...}); documents the response, not enforced."`
	// TimeoutMS bounds the whole exchange. Defaults to TimeoutMSDefault.
	TimeoutMS int `json:"timeout_ms,omitempty" jsonschema_description:"Bounds the whole exchange (connecting, redirects, reading the body), in milliseconds."`
	// Background runs the call as a durable job.
	Background bool `json:"background,omitempty" jsonschema_description:"Runs every call as a durable background job: the caller gets 202 and a run id, and retries follow retry."`
	// AllowBackgroundOverride lets a call choose foreground or background.
	AllowBackgroundOverride bool `json:"allow_background_override,omitempty" jsonschema_description:"Lets a call choose foreground or background (the call's background field)."`
	// Response shapes the result for the model.
	Response *ResponseConfig `json:"response,omitempty" jsonschema_description:"Shapes the upstream's response for the model's context window."`
	// Retry configures background retries.
	Retry *RetryConfig `json:"retry,omitempty" jsonschema_description:"Bounds the attempts of a background run."`
	// Origin is the OpenAPI operation an imported tool was made from.
	Origin *Origin `json:"origin,omitempty" jsonschema_description:"The OpenAPI operation an imported tool was made from; importing the document again updates this draft. Set by the import."`

	// Confirm makes the caller agree before the call runs: the model reads
	// the message back and calls again with the token it was given.
	Confirm *ConfirmConfig `json:"confirm,omitempty" jsonschema_description:"Makes the caller agree before the call runs: the model reads the rendered message back and calls again with the confirmation token it was given."`
	// Approval makes an admin approve each call before it runs.
	Approval *ApprovalConfig `json:"approval,omitempty" jsonschema_description:"Makes an admin approve each call before it runs; the call answers at once and runs in the background once approved."`
	// Limits bound how often and how many calls at once reach the
	// upstream.
	Limits []Limit `json:"limits,omitempty" jsonschema_description:"Rate and concurrency limits; over a limit nothing is sent and the call answers rate_limited."`
	// Cache answers repeated calls from a stored result (GET or ReadOnly
	// tools only).
	Cache *CacheConfig `json:"cache,omitempty" jsonschema_description:"Answers repeated calls from a stored result (GET or read_only tools only)."`
	// ReadOnly marks a tool that changes nothing upstream whatever its
	// method, so its results may be cached.
	ReadOnly bool `json:"read_only,omitempty" jsonschema_description:"Marks a tool that changes nothing upstream whatever its method, so its results may be cached."`
}

// ResponseConfig shapes an upstream response for a model's context window.
type ResponseConfig struct {
	// SaveTo names the result (used by flows).
	SaveTo string `json:"save_to,omitempty" jsonschema_description:"Names the result (used by flows)."`
	// Select lists gjson-style paths; the result is an object of just those.
	Select []string `json:"select,omitempty" jsonschema_description:"gjson paths (data.items.#.id); the result is an object of just those values, keyed by path."`
	// MaxBytes caps the shaped result. Defaults to MaxBytesDefault.
	MaxBytes int `json:"max_bytes,omitempty" jsonschema_description:"Caps the shaped result; a longer one is cut with a visible marker."`
}

// RetryConfig bounds the attempts of a background run.
type RetryConfig struct {
	// MaxAttempts defaults to MaxAttemptsDefault.
	MaxAttempts int `json:"max_attempts,omitempty" jsonschema_description:"How many times a background run is tried (the first attempt included); 5xx, 429, timeouts and network errors are retried with jittered backoff."`
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

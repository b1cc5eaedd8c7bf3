// Package problem holds the errors toolgate's use cases return when a
// request cannot be served: each has a kind (not found, invalid, conflict...),
// a message written for the client and optional details. The HTTP layer maps
// kinds to statuses in one place; the use cases never see HTTP.
//
// An error that is not a *Error is internal: its text is logged, never shown.
package problem

import (
	"errors"
	"fmt"
)

// Kind classifies a problem. Each kind has one HTTP status (see package
// gateway/httpapi) and a default error type.
type Kind int

// Kinds of problems.
const (
	// Internal is an unexpected failure; the client sees only "internal error".
	Internal Kind = iota
	// BadRequest is a malformed request: unknown field, wrong JSON type.
	BadRequest
	// Unauthorized is a missing or invalid credential.
	Unauthorized
	// Forbidden is a valid credential without the right to act.
	Forbidden
	// NotFound is an object that does not exist in the caller's workspace.
	NotFound
	// Conflict is a request that contradicts the current state (a taken
	// name, an idempotency key used for another tool).
	Conflict
	// Invalid is a well-formed request whose content fails validation.
	Invalid
	// TooLarge is a request body over its limit.
	TooLarge
	// TooManyRequests is a caller over a limit.
	TooManyRequests
	// Unavailable is a dependency that cannot serve now (the run history
	// cannot take writes); retrying later may succeed.
	Unavailable
	// BadGateway is an upstream service (a token endpoint, a model API) that
	// failed.
	BadGateway
	// NotImplemented is a feature this gateway is not configured for.
	NotImplemented
)

// Default error types of each kind, as they appear in an error body's
// "type".
var defaultTypes = map[Kind]string{
	Internal:        "internal_error",
	BadRequest:      "bad_request",
	Unauthorized:    "unauthorized",
	Forbidden:       "forbidden",
	NotFound:        "not_found",
	Conflict:        "conflict",
	Invalid:         "validation_failed",
	TooLarge:        "request_too_large",
	TooManyRequests: "rate_limited",
	Unavailable:     "unavailable",
	BadGateway:      "bad_gateway",
	NotImplemented:  "not_implemented",
}

// Error is a problem with its public face: Kind, Type, Message and Details
// are shown to the client; Err, if any, is only logged.
type Error struct {
	Kind Kind
	// Type overrides the kind's default error type ("needs_reauth").
	Type    string
	Message string
	// Details is JSON-encodable detail for the client (field errors).
	Details any
	// Err is the cause, logged but never shown.
	Err error
}

// Error implements error, including the logged cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.TypeName(), e.Message, e.Err)
	}
	return e.TypeName() + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// TypeName is the error type shown to the client.
func (e *Error) TypeName() string {
	if e.Type != "" {
		return e.Type
	}
	return defaultTypes[e.Kind]
}

// New returns a problem of a kind.
func New(kind Kind, msg string) *Error { return &Error{Kind: kind, Message: msg} }

// Field is the detail of a problem about one request field.
type Field struct {
	Field string `json:"field"`
}

// BadRequestf returns a BadRequest problem; field, when not empty, names the
// request field at fault in the details.
func BadRequestf(field, format string, args ...any) *Error {
	e := &Error{Kind: BadRequest, Message: fmt.Sprintf(format, args...)}
	if field != "" {
		e.Details = map[string]string{"field": field}
	}
	return e
}

// NotFoundf returns the NotFound problem of a missing object: "tool not
// found".
func NotFoundf(what string) *Error {
	return &Error{Kind: NotFound, Message: what + " not found"}
}

// Invalidf returns an Invalid problem carrying field errors as details.
func Invalidf(details any, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Message: fmt.Sprintf(format, args...), Details: details}
}

// Conflictf returns a Conflict problem.
func Conflictf(format string, args ...any) *Error {
	return &Error{Kind: Conflict, Message: fmt.Sprintf(format, args...)}
}

// As returns err's *Error, if it has one.
func As(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}

// Is reports whether err is a problem of kind.
func Is(err error, kind Kind) bool {
	pe, ok := As(err)
	return ok && pe.Kind == kind
}

// Package httpapi is what toolgate's HTTP surfaces share: the one mapping
// of problems to HTTP statuses and the one error body, the handler adapter,
// bounded request decoding, key authentication and list paging.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
)

// statuses maps each kind of problem to its HTTP status: the one place
// where domain errors become statuses.
var statuses = map[problem.Kind]int{
	problem.Internal:        http.StatusInternalServerError,
	problem.BadRequest:      http.StatusBadRequest,
	problem.Unauthorized:    http.StatusUnauthorized,
	problem.Forbidden:       http.StatusForbidden,
	problem.NotFound:        http.StatusNotFound,
	problem.Conflict:        http.StatusConflict,
	problem.Invalid:         http.StatusUnprocessableEntity,
	problem.TooLarge:        http.StatusRequestEntityTooLarge,
	problem.TooManyRequests: http.StatusTooManyRequests,
	problem.Unavailable:     http.StatusServiceUnavailable,
	problem.BadGateway:      http.StatusBadGateway,
	problem.NotImplemented:  http.StatusNotImplemented,
}

// Public is an error's public face: status, type, message and details go to
// the client.
type Public struct {
	Status  int
	Type    string
	Message string
	Details any
}

// PublicOf maps any error to what the client sees. An error that is not a
// problem is internal: the client sees only "internal error".
func PublicOf(err error) Public {
	if pe, ok := problem.As(err); ok {
		return Public{Status: statuses[pe.Kind], Type: pe.TypeName(), Message: pe.Message, Details: pe.Details}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Public{Status: http.StatusNotFound, Type: "not_found", Message: "not found"}
	case errors.Is(err, store.ErrConflict):
		return Public{Status: http.StatusConflict, Type: "conflict", Message: "an object with that name already exists"}
	case errors.As(err, &tooLarge):
		return Public{Status: http.StatusRequestEntityTooLarge, Type: "request_too_large",
			Message: fmt.Sprintf("request body exceeds %d bytes", tooLarge.Limit)}
	}
	return Public{Status: http.StatusInternalServerError, Type: "internal_error", Message: "internal error"}
}

// Status is the HTTP status of err.
func Status(err error) int { return PublicOf(err).Status }

// ErrorBody is the one shape of every API error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an ErrorBody.
type ErrorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// Handler is the signature of every route: return an error and the
// adapter writes it.
type Handler func(c *gin.Context) error

// Errors writes errors in the one shape and logs what the client does not
// see.
type Errors struct {
	Log *slog.Logger
}

// Handle adapts a Handler to gin.
func (e Errors) Handle(h Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			e.Write(c, err)
		}
	}
}

// Write writes err as the error body and aborts the request.
func (e Errors) Write(c *gin.Context, err error) {
	pub := PublicOf(err)
	if pub.Status >= 500 {
		e.Log.ErrorContext(c.Request.Context(), "request failed", slog.String("path", c.FullPath()), slog.Any("err", err))
	}
	WritePublic(c, pub)
}

// MethodNotAllowed answers a route that exists for other methods.
func MethodNotAllowed(c *gin.Context) {
	WritePublic(c, Public{Status: http.StatusMethodNotAllowed, Type: "method_not_allowed", Message: "method not allowed"})
}

// WritePublic writes an error body and aborts the request.
func WritePublic(c *gin.Context, pub Public) {
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(pub.Status)
	body, _ := json.Marshal(ErrorBody{Error: ErrorDetail{Type: pub.Type, Message: pub.Message, Details: pub.Details}})
	_, _ = c.Writer.Write(body)
	c.Abort()
}

// Recoverer turns a panic into a logged 500 in the API's error shape.
func (e Errors) Recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				e.Log.ErrorContext(c.Request.Context(), "panic serving request", slog.String("path", c.Request.URL.Path), slog.Any("panic", v))
				e.Write(c, &problem.Error{Kind: problem.Internal, Message: "internal error"})
			}
		}()
		c.Next()
	}
}

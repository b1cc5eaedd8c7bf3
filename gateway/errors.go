package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/store"
)

// Error types of the API's error body.
const (
	ErrTypeBadRequest       = "bad_request"
	ErrTypeUnauthorized     = "unauthorized"
	ErrTypeForbidden        = "forbidden"
	ErrTypeNotFound         = "not_found"
	ErrTypeConflict         = "conflict"
	ErrTypeTooLarge         = "request_too_large"
	ErrTypeValidation       = "validation_failed"
	ErrTypeInternal         = "internal_error"
	ErrTypeMethodNotAllowed = "method_not_allowed"
)

// HTTPError is an error with its public face: status, type, message and
// details go to the client; Err (if any) is only logged.
type HTTPError struct {
	Status  int
	Type    string
	Message string
	Details any
	Err     error
}

// Error implements error, including the logged detail.
func (e *HTTPError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Type, e.Message, e.Err)
	}
	return e.Type + ": " + e.Message
}

// Unwrap returns the logged detail.
func (e *HTTPError) Unwrap() error { return e.Err }

// errorBody is the one shape of every API error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

func badRequest(msg string, details any) *HTTPError {
	return &HTTPError{Status: http.StatusBadRequest, Type: ErrTypeBadRequest, Message: msg, Details: details}
}

func notFound(what string) *HTTPError {
	return &HTTPError{Status: http.StatusNotFound, Type: ErrTypeNotFound, Message: what + " not found"}
}

func validationFailed(msg string, details any) *HTTPError {
	return &HTTPError{Status: http.StatusUnprocessableEntity, Type: ErrTypeValidation, Message: msg, Details: details}
}

// toHTTPError maps any error to its public form. It is the one place where
// domain errors become HTTP statuses.
func toHTTPError(err error) *HTTPError {
	var he *HTTPError
	if errors.As(err, &he) {
		return he
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &HTTPError{Status: http.StatusNotFound, Type: ErrTypeNotFound, Message: "not found"}
	case errors.Is(err, store.ErrConflict):
		return &HTTPError{Status: http.StatusConflict, Type: ErrTypeConflict, Message: "an object with that name already exists"}
	case errors.As(err, &tooLarge):
		return &HTTPError{Status: http.StatusRequestEntityTooLarge, Type: ErrTypeTooLarge,
			Message: fmt.Sprintf("request body exceeds %d bytes", tooLarge.Limit)}
	}
	return &HTTPError{Status: http.StatusInternalServerError, Type: ErrTypeInternal, Message: "internal error", Err: err}
}

// handler is the signature of every route: return an error and the adapter
// writes it.
type handler func(c *gin.Context) error

// handle adapts a handler to gin, writing errors in the one shape and
// logging what the client does not see.
func (s *Server) handle(h handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.writeError(c, err)
		}
	}
}

func (s *Server) writeError(c *gin.Context, err error) {
	he := toHTTPError(err)
	if he.Status >= 500 {
		s.log.ErrorContext(c.Request.Context(), "request failed", slog.String("path", c.FullPath()), slog.Any("err", err))
	}
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(he.Status)
	body, _ := json.Marshal(errorBody{Error: errorDetail{Type: he.Type, Message: he.Message, Details: he.Details}})
	_, _ = c.Writer.Write(body)
	c.Abort()
}

// isNotFound reports whether err is a store.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

package egress

import (
	"context"
	"errors"
	"net"
)

// Outcome classes returned by Classify; they match toolgate's run outcomes.
const (
	// ClassBlocked: the guard refused the destination; nothing was sent.
	ClassBlocked = "blocked"
	// ClassTimeout: the context deadline passed or a network timeout hit.
	ClassTimeout = "timeout"
	// ClassNetworkError: anything else that kept a response from arriving
	// whole: refused or reset connections, DNS failures, TLS errors, too
	// many redirects, and a context cancelled by the caller.
	ClassNetworkError = "network_error"
)

// Classify sorts an error from Client.Do into ClassBlocked, ClassTimeout or
// ClassNetworkError, and returns "" for nil. A context cancelled by the
// caller (context.Canceled) is ClassNetworkError: the caller gave up, the
// upstream did not time out; callers that care check ctx.Err themselves.
func Classify(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, ErrBlocked) {
		return ClassBlocked
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ClassTimeout
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return ClassTimeout
	}
	return ClassNetworkError
}

package tools

// Outcomes of a call. Every run ends in exactly one.
const (
	// OutcomeSuccess: the upstream answered 2xx.
	OutcomeSuccess = "success"
	// OutcomeClientError: the upstream answered 4xx.
	OutcomeClientError = "client_error"
	// OutcomeServerError: the upstream answered 5xx (or another non-2xx
	// status outside 4xx).
	OutcomeServerError = "server_error"
	// OutcomeTimeout: the exchange did not finish within the tool's timeout.
	OutcomeTimeout = "timeout"
	// OutcomeNetworkError: the upstream could not be reached or the
	// exchange broke.
	OutcomeNetworkError = "network_error"
	// OutcomeBlocked: the egress guard refused the destination.
	OutcomeBlocked = "blocked"
	// OutcomeInvalidArguments: the arguments failed the schema or could not
	// be rendered safely; nothing was sent.
	OutcomeInvalidArguments = "invalid_arguments"
	// OutcomeAuthError: the connection's credential is missing or unusable.
	OutcomeAuthError = "auth_error"
	// OutcomeConfigError: the tool or its connection is misconfigured (for
	// example a {{conn.x}} value the connection no longer has); nothing was
	// sent. An admin must fix the tool.
	OutcomeConfigError = "config_error"

	// Guardrail outcomes: nothing was sent upstream.

	// OutcomeNeedsConfirmation: the caller must agree first; the result
	// carries the message to read back and the token to call again with.
	OutcomeNeedsConfirmation = "needs_confirmation"
	// OutcomeRejected: an admin rejected the call.
	OutcomeRejected = "rejected"
	// OutcomeApprovalExpired: nobody approved the call in time.
	OutcomeApprovalExpired = "approval_expired"
	// OutcomeRateLimited: a rate or concurrency limit refused the call;
	// the result says when to try again.
	OutcomeRateLimited = "rate_limited"
)

// outcomeForStatus classifies an upstream HTTP status.
func outcomeForStatus(code int) string {
	switch {
	case code >= 200 && code < 300:
		return OutcomeSuccess
	case code >= 400 && code < 500:
		return OutcomeClientError
	}
	return OutcomeServerError
}

// Retryable reports whether a background run that ended with outcome (and
// HTTP status code) may be attempted again.
func Retryable(outcome string, statusCode int) bool {
	switch outcome {
	case OutcomeTimeout, OutcomeNetworkError, OutcomeServerError:
		return true
	case OutcomeClientError:
		return statusCode == 429
	}
	return false
}

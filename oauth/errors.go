package oauth

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/toolgate/toolgate/tools"
)

// Sentinel errors of the oauth package.
var (
	// ErrNeedsReauth means an admin must authorize the connection again.
	// It is tools.ErrNeedsReauth, so the engine recognises it.
	ErrNeedsReauth = tools.ErrNeedsReauth
	// ErrNotConnected means an authorization-code connection has no tokens
	// yet: an admin must authorize it.
	ErrNotConnected = errors.New("connection is not connected: an admin must authorize it")
	// ErrNotOAuth means the connection's auth type is not an OAuth2 type.
	ErrNotOAuth = errors.New("connection does not use OAuth2")
	// ErrNotAuthorizationCode means a browser authorization was asked for a
	// connection whose auth type is not oauth2_authorization_code.
	ErrNotAuthorizationCode = errors.New("only oauth2_authorization_code connections are authorized in a browser")
	// ErrInvalidState means a callback's state is unknown, expired or
	// already used.
	ErrInvalidState = errors.New("the authorization request is unknown, expired or already used: start it again")
	// ErrNoRedirectURL means neither the connection's redirect_url nor the
	// gateway's public URL is set.
	ErrNoRedirectURL = errors.New("no redirect URL: set the connection's auth.redirect_url or the gateway's TOOLGATE_PUBLIC_URL")
)

// TokenEndpointError is a failed token request: the endpoint's answer
// (StatusCode, and the OAuth2 error Code and Description when it gave them)
// or, with StatusCode 0, the network failure in Err. It never carries a
// token or the response body.
type TokenEndpointError struct {
	StatusCode  int
	Code        string
	Description string
	Err         error
}

// Error implements error.
func (e *TokenEndpointError) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("token endpoint unreachable: %v", e.Err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "token endpoint answered %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *TokenEndpointError) Unwrap() error { return e.Err }

// InvalidGrant reports whether the endpoint refused the grant itself (a
// revoked, expired or reused refresh token or code).
func (e *TokenEndpointError) InvalidGrant() bool { return e.Code == "invalid_grant" }

// retryable reports whether asking again may help: 5xx and network
// failures, never a 4xx.
func (e *TokenEndpointError) retryable() bool {
	return e.StatusCode == 0 || e.StatusCode >= 500
}

// ProviderError is the error the authorization server sent to the callback
// instead of a code (for example access_denied).
type ProviderError struct {
	Code        string
	Description string
}

// Error implements error.
func (e *ProviderError) Error() string {
	if e.Description == "" {
		return "the provider answered " + e.Code
	}
	return "the provider answered " + e.Code + ": " + e.Description
}

// maxProviderText bounds provider-supplied text kept in errors.
const maxProviderText = 300

// cleanText makes provider-supplied text safe to store and show: control
// characters dropped, length bounded.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxProviderText {
		cut := maxProviderText
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.TrimSpace(s)
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

package voice

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
)

// secretMatches compares a presented secret with the configured one in
// constant time (over their SHA-256, so the length does not leak either).
// An unconfigured secret matches nothing.
func secretMatches(presented, configured string) bool {
	p := sha256.Sum256([]byte(presented))
	c := sha256.Sum256([]byte(configured))
	equal := subtle.ConstantTimeCompare(p[:], c[:]) == 1
	return equal && configured != "" && presented != ""
}

// bearerToken returns the token of an "Authorization: Bearer ..." value.
func bearerToken(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

package voice

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"sync"
	"time"
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

// memoryGuard is a ReplayGuard of this process.
type memoryGuard struct {
	mu   sync.Mutex
	seen map[string]time.Time // key → when it may be forgotten
}

// memoryGuardMax bounds the remembered keys; expired ones are pruned when
// it is reached.
const memoryGuardMax = 100000

func (g *memoryGuard) First(_ context.Context, key string, now, until time.Time) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[string]time.Time{}
	}
	if t, ok := g.seen[key]; ok && now.Before(t) {
		return false, nil
	}
	if len(g.seen) >= memoryGuardMax {
		for k, t := range g.seen {
			if !now.Before(t) {
				delete(g.seen, k)
			}
		}
	}
	g.seen[key] = until
	return true, nil
}

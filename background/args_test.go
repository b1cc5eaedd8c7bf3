package background

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	zero := func() float64 { return 0 }
	almostOne := func() float64 { return 0.999999 }
	for _, c := range []struct {
		attempt    int
		retryAfter time.Duration
		jitter     func() float64
		min, max   time.Duration
	}{
		{1, 0, zero, 500 * time.Millisecond, 500 * time.Millisecond},
		{1, 0, almostOne, 999 * time.Millisecond, time.Second},
		{2, 0, zero, time.Second, time.Second},
		{3, 0, almostOne, 3999 * time.Millisecond, 4 * time.Second},
		{30, 0, almostOne, BackoffMax - time.Millisecond, BackoffMax},
		// Retry-After wins when longer, capped at BackoffMax.
		{1, 7 * time.Second, zero, 7 * time.Second, 7 * time.Second},
		{1, time.Hour, zero, BackoffMax, BackoffMax},
		// A short Retry-After does not shorten the backoff.
		{3, time.Second, zero, 2 * time.Second, 2 * time.Second},
	} {
		got := Backoff(BackoffBaseDefault, c.attempt, c.retryAfter, c.jitter)
		if got < c.min || got > c.max {
			t.Errorf("Backoff(attempt %d, retry-after %s) = %s, want in [%s, %s]", c.attempt, c.retryAfter, got, c.min, c.max)
		}
	}
}

func TestSign(t *testing.T) {
	secret := []byte("k")
	body := []byte(`{"run_id":"r1"}`)
	at := time.Unix(1700000000, 0)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("1700000000." + string(body)))
	want := "t=1700000000,v1=" + hex.EncodeToString(mac.Sum(nil))
	if got := Sign(secret, at, body); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

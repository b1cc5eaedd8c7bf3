package apikey

import (
	"bytes"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		key, display, hash := New()
		if !strings.HasPrefix(key, Prefix) || len(key) != len(Prefix)+43 {
			t.Fatalf("key %q: want tg_ + 43 base64url characters", key)
		}
		if !strings.HasPrefix(key, display) || len(display) != displayLen {
			t.Errorf("display %q is not a %d-char prefix of the key", display, displayLen)
		}
		if !bytes.Equal(hash, Hash(key)) {
			t.Errorf("hash does not match Hash(key)")
		}
		if !LooksValid(key) {
			t.Errorf("LooksValid(%q) = false", key)
		}
		if seen[key] {
			t.Fatalf("duplicate key %q", key)
		}
		seen[key] = true
	}
	for _, bad := range []string{"", "tg_", "tg_short", "Bearer tg_aaaaaaaaaaaaaaaaaaaaa", "xx_aaaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		if LooksValid(bad) {
			t.Errorf("LooksValid(%q) = true", bad)
		}
	}
}

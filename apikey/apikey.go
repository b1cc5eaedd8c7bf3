// Package apikey makes and recognises toolgate's bearer keys. A key is
// "tg_" followed by 32 random bytes in base64url (256 bits); only its
// SHA-256 and a short display prefix are stored.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Prefix starts every key.
const Prefix = "tg_"

// displayLen is how many characters of a key are kept for display.
const displayLen = 10

// New returns a fresh key, its display prefix and its hash.
func New() (key, display string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("apikey: reading random bytes: " + err.Error())
	}
	key = Prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return key, key[:displayLen], Hash(key)
}

// Hash returns the stored form of a key.
func Hash(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// Display returns the prefix of key kept for display.
func Display(key string) string {
	if len(key) <= displayLen {
		return key
	}
	return key[:displayLen]
}

// LooksValid reports whether s has a key's shape, so that garbage is refused
// before it reaches the store.
func LooksValid(s string) bool {
	return strings.HasPrefix(s, Prefix) && len(s) >= len(Prefix)+16 && len(s) <= 256
}

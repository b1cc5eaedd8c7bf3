// Package secrets seals values stored at rest (connection credentials, OAuth
// tokens, signing secrets) with AES-256-GCM under the gateway's secret key.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// KeySize is the length of the secret key: 32 bytes for AES-256.
const KeySize = 32

// version prefixes every sealed value so the format can evolve.
const version byte = 1

// ErrOpen means a sealed value could not be opened: wrong key, tampered
// ciphertext, or sealed for another object.
var ErrOpen = errors.New("secrets: cannot open sealed value")

// Box seals and opens values with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad (the owning object's identity, so a
// sealed value copied to another row does not open there).
func (b *Box) Seal(plaintext, aad []byte) []byte {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		panic("secrets: reading random nonce: " + err.Error()) // crypto/rand never fails on Linux
	}
	return b.aead.Seal(out, out[1:], plaintext, aad)
}

// Open decrypts a value made by Seal with the same aad. An empty input opens
// to nil.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// ParseKey decodes a base64 (standard or URL alphabet, padded or not) key of
// KeySize bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			if len(key) != KeySize {
				return nil, fmt.Errorf("secret key must be base64 of %d bytes, got %d bytes", KeySize, len(key))
			}
			return key, nil
		}
	}
	return nil, errors.New("secret key is not valid base64")
}

// LoadOrCreateKeyFile reads the base64 key in path, or generates one there
// with mode 0600 when the file does not exist (logging a warning: the key
// protects every stored credential and must be backed up with the database).
func LoadOrCreateKeyFile(path string, log *slog.Logger) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseKey(string(data))
		if err != nil {
			return nil, fmt.Errorf("reading secret key file %s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading secret key file: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		// Another process created it first: use theirs.
		return LoadOrCreateKeyFile(path, log)
	}
	if err != nil {
		return nil, fmt.Errorf("creating secret key file: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing secret key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing secret key file: %w", err)
	}
	log.Warn("TOOLGATE_SECRET_KEY is not set: generated a secret key file; back it up with the database, stored credentials cannot be read without it", "path", path)
	return key, nil
}

package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func testBox(t *testing.T) *Box {
	t.Helper()
	b, err := NewBox(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := testBox(t)
	plain := []byte(`{"token":"s3cret-value"}`)
	sealed := b.Seal(plain, []byte("ws1/conn1"))
	if bytes.Contains(sealed, []byte("s3cret")) {
		t.Fatalf("sealed value contains plaintext")
	}
	got, err := b.Open(sealed, []byte("ws1/conn1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Errorf("Open = %q, want %q", got, plain)
	}
	if _, err := b.Open(sealed, []byte("ws2/conn1")); !errors.Is(err, ErrOpen) {
		t.Errorf("Open with other aad: err = %v, want ErrOpen", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(sealed, []byte("ws1/conn1")); !errors.Is(err, ErrOpen) {
		t.Errorf("Open tampered: err = %v, want ErrOpen", err)
	}
	if got, err := b.Open(nil, nil); err != nil || got != nil {
		t.Errorf("Open(nil) = %q, %v; want nil, nil", got, err)
	}
}

func TestParseKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb}, KeySize)
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(key),
		base64.RawURLEncoding.EncodeToString(key),
		" " + base64.StdEncoding.EncodeToString(key) + "\n",
	} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q): want error", s)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "toolgate.key")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := LoadOrCreateKeyFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %o, want 600", mode)
	}
	second, err := LoadOrCreateKeyFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("second load returned a different key")
	}
}

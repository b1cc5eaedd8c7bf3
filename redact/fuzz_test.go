package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// encodings lists, independently of Forms, every form a secret must never
// survive in.
func encodings(secret string) []string {
	raw := []byte(secret)
	jsonForm, _ := json.Marshal(secret)
	var plainJSON bytes.Buffer
	enc := json.NewEncoder(&plainJSON)
	enc.SetEscapeHTML(false)
	enc.Encode(secret)
	all := []string{
		secret,
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
		url.QueryEscape(secret),
		url.PathEscape(secret),
		string(jsonForm[1 : len(jsonForm)-1]),
		strings.TrimSuffix(plainJSON.String(), "\n")[1 : plainJSON.Len()-2],
	}
	var out []string
	for _, form := range all {
		// A form inside the placeholder cannot be hidden by it; New
		// documents that it ignores such forms.
		if !strings.Contains(Placeholder, form) {
			out = append(out, form)
		}
	}
	return out
}

// FuzzRedact checks the package's promise: after String (or Bytes), text
// holds no form of a known secret, however the secret was embedded, and
// text without any form comes back unchanged.
func FuzzRedact(f *testing.F) {
	f.Add("sk-live-0123456789", `{"token":"","user":"ann"}`, uint16(10), uint8(0), uint16(3))
	f.Add("p@ss w/rd+&=?", "GET /path?q=&x=1", uint16(14), uint8(5), uint16(0))
	f.Add("aaaa", "aaaaaaa", uint16(2), uint8(0), uint16(5))
	f.Add("D]xyz", "hunter22xyz", uint16(8), uint8(0), uint16(1))
	f.Add("TED]x", "TED]xxxxxxxxxxx", uint16(0), uint8(0), uint16(2))
	f.Add("<script>\"\\", "body", uint16(2), uint8(7), uint16(4))
	f.Add("\xff\xfeinvalid", "bytes \x00\x01", uint16(3), uint8(1), uint16(1))
	f.Fuzz(func(t *testing.T, secret, text string, pos uint16, formIndex uint8, pos2 uint16) {
		if len(secret) < MinSecretLen || len(secret) > 256 || len(text) > 4096 {
			return
		}
		forms := encodings(secret)
		if len(forms) == 0 {
			return
		}
		r := New(secret)

		// Text that holds no form is returned as is.
		if !containsAny(text, forms) {
			if got := r.String(text); got != text {
				t.Fatalf("String(%q) = %q, want it unchanged (no secret in it)", text, got)
			}
		}

		// Embed one form and the raw secret at arbitrary positions.
		in := insert(text, int(pos), forms[int(formIndex)%len(forms)])
		in = insert(in, int(pos2), secret)
		out := r.String(in)
		for _, form := range forms {
			if strings.Contains(out, form) {
				t.Fatalf("String(%q) = %q still holds form %q of secret %q", in, out, form, secret)
			}
		}
		if got := r.Bytes([]byte(in)); string(got) != out {
			t.Fatalf("Bytes(%q) = %q, want String's %q", in, got, out)
		}
	})
}

func insert(s string, pos int, what string) string {
	pos %= len(s) + 1
	return s[:pos] + what + s[pos:]
}

func containsAny(s string, forms []string) bool {
	for _, form := range forms {
		if strings.Contains(s, form) {
			return true
		}
	}
	return false
}

package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestRedactEncodingsOfOtherSystems covers forms produced by upstreams that
// are not Go: secrets inside a longer base64 text (HTTP basic credentials),
// escaped slashes and \u escapes in JSON, lower-case percent-encoding.
func TestRedactEncodingsOfOtherSystems(t *testing.T) {
	const secret = "S3cret/Passw0rd+é"
	r := New(secret)
	cases := map[string]string{}
	for _, user := range []string{"svcuser", "svc-user", "ab", "x"} {
		cases["basic auth for "+user] = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
		cases["url-safe base64 for "+user] = base64.RawURLEncoding.EncodeToString([]byte(user + ":" + secret + "!trailer"))
	}
	cases["php json"] = `{"key":"S3cret\/Passw0rd+é"}`
	cases["python json"] = `{"key": "S3cret/Passw0rd+\u00e9"}`
	cases["lower-case percent"] = "https://x.example/?k=S3cret%2fPassw0rd%2b%c3%a9"
	for name, text := range cases {
		got := r.String(text)
		if !strings.Contains(got, Placeholder) {
			t.Errorf("%s: %q not redacted: %q", name, text, got)
		}
		if strings.Contains(got, "Passw0rd") {
			t.Errorf("%s: secret survives in %q", name, got)
		}
	}
	// Short secrets yield no embedded fragments, which would match
	// unrelated base64 text.
	for _, form := range Forms("abcdef") {
		if len(form) < MinSecretLen {
			t.Errorf("Forms(abcdef) has the short form %q", form)
		}
	}
	if got := New("abcdef").String("Basic " + base64.StdEncoding.EncodeToString([]byte("zzzzzz"))); strings.Contains(got, Placeholder) {
		t.Errorf("unrelated base64 redacted: %q", got)
	}
}

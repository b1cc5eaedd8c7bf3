package tools

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// stdlibJSONString is s as encoding/json writes it with HTML escaping off.
func stdlibJSONString(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// checkJSONString holds appendJSONString, appendJSONChars, jsonVerbatim and
// jsonCharLen to encoding/json for s.
func checkJSONString(t *testing.T, s string) {
	t.Helper()
	want := stdlibJSONString(t, s)
	prefix := []byte("pre:")
	if got := string(appendJSONString(prefix, s)); got != "pre:"+want {
		t.Fatalf("appendJSONString(%q) = %q, want %q", s, got, "pre:"+want)
	}
	if got := string(appendJSONChars(prefix, s)); got != "pre:"+want[1:len(want)-1] {
		t.Fatalf("appendJSONChars(%q) = %q, want %q", s, got, "pre:"+want[1:len(want)-1])
	}
	if got := jsonVerbatim(s); got != (want == `"`+s+`"`) {
		t.Fatalf("jsonVerbatim(%q) = %v, encoding/json writes %s", s, got, want)
	}
	encoded := 2 // the quotes
	for i := 0; i < len(s); {
		size, enc := jsonCharLen(s, i)
		encoded += enc
		i += size
	}
	if encoded != len(want) {
		t.Fatalf("jsonCharLen sums to %d for %q, encoding/json writes %d bytes: %s", encoded, s, len(want), want)
	}
}

func TestJSONStringMatchesEncodingJSON(t *testing.T) {
	for c := range 256 {
		checkJSONString(t, string([]byte{byte(c)}))
		checkJSONString(t, "a"+string([]byte{byte(c)})+"é")
	}
	for _, s := range []string{"", "plain", `say "hi"\n`, "<a href='x'>&amp;</a>", "\u2028\u2029", "é日本\U0001F600",
		"\xff\xfe", "\xe2\x80", "tab\tnew\nline\rcr\bbs\fff\x00nul\x7fdel"} {
		checkJSONString(t, s)
	}
}

func FuzzJSONString(f *testing.F) {
	for _, seed := range []string{"", "a\"b\\c", "\x00\x1f\x7f", "\u2028é\xff", "<>&"} {
		f.Add(seed)
	}
	f.Fuzz(checkJSONString)
}

func TestIsJSONNumber(t *testing.T) {
	tests := map[string]bool{
		"0": true, "-0": true, "12": true, "12.50": true, "1e3": true, "-1.5E-7": true, "1E+2": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "+1": false, "1e": false, "1e+": false,
		" 1": false, "1 ": false, "true": false, `"1"`: false, "[1]": false, "0x10": false, "NaN": false, "1_000": false,
	}
	for s, want := range tests {
		if got := isJSONNumber(s); got != want {
			t.Errorf("isJSONNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

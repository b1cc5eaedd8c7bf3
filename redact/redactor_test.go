package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestStringForms(t *testing.T) {
	const secret = "s3cr/t+k&y<=>?é"
	r := New(secret)
	jsonForm, _ := json.Marshal(secret)
	tests := []struct {
		name string
		form string
	}{
		{"raw", secret},
		{"base64 std", base64.StdEncoding.EncodeToString([]byte(secret))},
		{"base64 raw std", base64.RawStdEncoding.EncodeToString([]byte(secret))},
		{"base64 url", base64.URLEncoding.EncodeToString([]byte(secret))},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString([]byte(secret))},
		{"query escape", url.QueryEscape(secret)},
		{"path escape", url.PathEscape(secret)},
		{"json", strings.Trim(string(jsonForm), `"`)},
		{"json without HTML escaping", `s3cr/t+k&y<=>?é`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := `{"note":"before ` + tt.form + ` after"}`
			got := r.String(in)
			if strings.Contains(got, tt.form) || !strings.Contains(got, Placeholder) {
				t.Errorf("String(%q) = %q, want the %s form replaced", in, got, tt.name)
			}
			if !strings.HasPrefix(got, `{"note":"before `) || !strings.HasSuffix(got, ` after"}`) {
				t.Errorf("String(%q) = %q, want the surrounding text kept", in, got)
			}
			if gotBytes := string(r.Bytes([]byte(in))); gotBytes != got {
				t.Errorf("Bytes = %q, want String's %q", gotBytes, got)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"no secrets", nil, "hello", "hello"},
		{"empty secret ignored", []string{""}, "hello", "hello"},
		{"short secret ignored", []string{"abc"}, "abc abc", "abc abc"},
		{"no match", []string{"hunter22"}, "hello", "hello"},
		{"every occurrence", []string{"hunter22"}, "hunter22 and hunter22", "[REDACTED] and [REDACTED]"},
		{"adjacent occurrences", []string{"hunter22"}, "hunter22hunter22", "[REDACTED][REDACTED]"},
		{"overlapping self", []string{"aaaa"}, "xaaaaaaay", "x[REDACTED]y"},
		{"overlapping secrets merge", []string{"abcdef", "defghi"}, "-abcdefghi-", "-[REDACTED]-"},
		{"secret inside another", []string{"token", "mytokenvalue"}, "mytokenvalue token", "[REDACTED] [REDACTED]"},
		{"placeholder-like secret ignored", []string{"REDACTED"}, "REDACTED", "REDACTED"},
		{"placeholder re-forms a secret", []string{"hunter22", "D]xyz"}, "hunter22xyz", "[REDACTE[REDACTED]"},
		{"whole text", []string{"hunter22"}, "hunter22", Placeholder},
		{"no fixpoint falls back to the placeholder", []string{"TED]x"}, "TED]xxxxxxxxxx", Placeholder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(tt.secrets...)
			if got := r.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := string(r.Bytes([]byte(tt.in))); got != tt.want {
				t.Errorf("Bytes(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNilAndZeroRedactor(t *testing.T) {
	for _, r := range []*Redactor{nil, {}} {
		if got := r.String("hunter22"); got != "hunter22" {
			t.Errorf("String = %q, want input unchanged", got)
		}
		if got := r.Header(http.Header{"Authorization": {"Bearer x"}}); got.Get("Authorization") != Placeholder {
			t.Errorf("Header Authorization = %q, want %q", got.Get("Authorization"), Placeholder)
		}
		if got := r.URL("https://h/?token=abc"); got != "https://h/?token="+Placeholder {
			t.Errorf("URL = %q, want token redacted", got)
		}
	}
}

func TestNoMatchDoesNotAllocate(t *testing.T) {
	r := New("sk-live-0123456789abcdef", "hunter22", "p@ss w/rd")
	s := strings.Repeat(`{"id":123,"name":"widget","tags":["a","b"]},`, 50)
	b := []byte(s)
	if n := testing.AllocsPerRun(100, func() { _ = r.String(s) }); n != 0 {
		t.Errorf("String with no match allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = r.Bytes(b) }); n != 0 {
		t.Errorf("Bytes with no match allocates %v times, want 0", n)
	}
	if got := r.Bytes(b); &got[0] != &b[0] {
		t.Errorf("Bytes with no match returned a copy, want the input")
	}
}

func TestBytesLeavesInputAlone(t *testing.T) {
	r := New("hunter22")
	in := []byte("pw=hunter22")
	got := r.Bytes(in)
	if string(in) != "pw=hunter22" || string(got) != "pw="+Placeholder {
		t.Errorf("Bytes: input now %q, output %q", in, got)
	}
}

func TestHeader(t *testing.T) {
	r := New("k3y-value", "tok-12345").WithHeaders("x-api-key")
	in := http.Header{
		"Authorization":       {"Bearer tok-12345"},
		"Proxy-Authorization": {"Basic dXNlcjpwYXNz"},
		"Cookie":              {"a=1", "b=2"},
		"Set-Cookie":          {"session=xyz"},
		"X-Api-Key":           {"anything"},
		"X-Echo":              {"got k3y-value here"},
		"Content-Type":        {"application/json"},
		"x-lower":             {"tok-12345"},
	}
	want := http.Header{
		"Authorization":       {Placeholder},
		"Proxy-Authorization": {Placeholder},
		"Cookie":              {Placeholder, Placeholder},
		"Set-Cookie":          {Placeholder},
		"X-Api-Key":           {Placeholder},
		"X-Echo":              {"got " + Placeholder + " here"},
		"Content-Type":        {"application/json"},
		"x-lower":             {Placeholder},
	}
	got := r.Header(in)
	for name, values := range want {
		if !slices.Equal(got[name], values) {
			t.Errorf("Header()[%s] = %q, want %q", name, got[name], values)
		}
	}
	if len(got) != len(want) {
		t.Errorf("Header() has %d names, want %d", len(got), len(want))
	}
	if in.Get("Authorization") != "Bearer tok-12345" {
		t.Errorf("Header modified its input")
	}
	// HeaderValue records one value as Header does.
	for name, values := range in {
		for i, v := range values {
			if got := r.HeaderValue(name, v); got != want[name][i] {
				t.Errorf("HeaderValue(%s, %q) = %q, want %q", name, v, got, want[name][i])
			}
		}
	}
	if r.Header(nil) != nil {
		t.Errorf("Header(nil) != nil")
	}
	// WithHeaders leaves the original alone.
	if got := New().Header(http.Header{"X-Api-Key": {"v"}}); got.Get("X-Api-Key") != "v" {
		t.Errorf("base redactor redacted X-Api-Key: %q", got.Get("X-Api-Key"))
	}
}

func TestURL(t *testing.T) {
	r := New("tok-12345").WithQueryParams("x-custom-key")
	tests := []struct{ in, want string }{
		{"https://api.example.com/v1/items?limit=5", "https://api.example.com/v1/items?limit=5"},
		{"https://api.example.com/v1/items/tok-12345", "https://api.example.com/v1/items/[REDACTED]"},
		{"https://h/?q=tok-12345&limit=5", "https://h/?q=[REDACTED]&limit=5"},
		{"https://h/?q=" + url.QueryEscape("tok-12345"), "https://h/?q=[REDACTED]"},
		{"https://h/?api_key=abc&limit=5", "https://h/?api_key=[REDACTED]&limit=5"},
		{"https://h/?API_KEY=abc", "https://h/?API_KEY=[REDACTED]"},
		{"https://h/?x-custom-key=abc#frag", "https://h/?x-custom-key=[REDACTED]#frag"},
		{"https://h/?access%5Ftoken=abc", "https://h/?access%5Ftoken=[REDACTED]"},
		{"https://h/?token", "https://h/?token"},
		{"https://user:pa55word@h/path?a=1", "https://user:[REDACTED]@h/path?a=1"},
		{"https://user@h/", "https://user@h/"},
		{"not a url ?token=abc", "not a url ?token=[REDACTED]"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := r.URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestForms(t *testing.T) {
	got := Forms("abcdef")
	// Raw and escapes coincide; padded base64 contains unpadded
	// ("YWJjZGVm" needs no padding, so it is one form for all four).
	want := []string{"abcdef", "YWJjZGVm"}
	if !slices.Equal(got, want) {
		t.Errorf("Forms(abcdef) = %q, want %q", got, want)
	}
	got = Forms("abcd")
	want = []string{"abcd", "YWJjZA"}
	if !slices.Equal(got, want) {
		t.Errorf("Forms(abcd) = %q, want %q", got, want)
	}
}

func TestWith(t *testing.T) {
	base := New("hunter22").WithHeaders("X-Api-Key")
	r := base.With("tok-12345", "hunter22", "ab")
	if got := r.String("hunter22 tok-12345 ab"); got != Placeholder+" "+Placeholder+" ab" {
		t.Errorf("With: String = %q, want both secrets redacted", got)
	}
	if got := base.String("tok-12345"); got != "tok-12345" {
		t.Errorf("With changed its receiver: String = %q", got)
	}
	if got := r.Header(http.Header{"X-Api-Key": {"v"}}).Get("X-Api-Key"); got != Placeholder {
		t.Errorf("With dropped the header list: X-Api-Key = %q", got)
	}
	var nilRedactor *Redactor
	if got := nilRedactor.With("tok-12345").String("tok-12345"); got != Placeholder {
		t.Errorf("nil.With: String = %q, want redacted", got)
	}
}

func TestMatchesAndMaxFormLen(t *testing.T) {
	r := New("hunter22", "sk-live-0123456789abcdef")
	tests := []struct {
		name string
		r    *Redactor
		text string
		want bool
	}{
		{"raw", r, "pw=hunter22;", true},
		{"base64 form", r, "Basic " + base64.StdEncoding.EncodeToString([]byte("hunter22")), true},
		{"percent form of the other", r, "k=" + url.QueryEscape("sk-live-0123456789abcdef"), true},
		{"none", r, "hunter2 sk-live", false},
		{"nil redactor", nil, "hunter22", false},
		{"no secrets", New(), "hunter22", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Matches([]byte(tt.text)); got != tt.want {
				t.Errorf("Matches(%q) = %v, want %v", tt.text, got, tt.want)
			}
			if changed := tt.r.String(tt.text) != tt.text; changed != tt.want {
				t.Errorf("String changed %q: %v, but Matches says %v", tt.text, changed, tt.want)
			}
		})
	}
	longest := 0
	for _, s := range []string{"hunter22", "sk-live-0123456789abcdef"} {
		for _, f := range Forms(s) {
			longest = max(longest, len(f))
		}
	}
	if got := r.MaxFormLen(); got != longest {
		t.Errorf("MaxFormLen = %d, want %d", got, longest)
	}
	if got := (*Redactor)(nil).MaxFormLen(); got != 0 {
		t.Errorf("nil MaxFormLen = %d, want 0", got)
	}
}

package openapi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitizeName(t *testing.T) {
	tests := map[string]string{
		"repos/get":                  "repos_get",
		"apps/get-authenticated":     "apps_get-authenticated",
		"page[size]":                 "page_size",
		"$filter":                    "filter",
		"user.name":                  "user_name",
		"__x__":                      "x",
		"déjà vu":                    "d_j_vu",
		"///":                        "",
		"X-Request-ID":               "X-Request-ID",
		"get /pets/{petId}/children": "get_pets_petId_children",
	}
	for in, want := range tests {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestArgNamer(t *testing.T) {
	a := newArgNamer()
	var got []string
	for _, c := range []struct{ name, prefix string }{
		{"id", "path"}, {"id", "query"}, {"id", "header"}, {"id", "body"}, {"query_id", "body"}, {"id", "query"}, {"", "body"},
	} {
		got = append(got, a.name(c.name, c.prefix))
	}
	want := "id query_id header_id body_id body_query_id query_id_2 value"
	if strings.Join(got, " ") != want {
		t.Errorf("names = %v, want %s", got, want)
	}
}

func TestCutText(t *testing.T) {
	sentence := "The quick brown fox jumps over the lazy dog. "
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"fits", "short.", 10, "short."},
		{"at a sentence", strings.Repeat(sentence, 3), 100, strings.TrimSpace(strings.Repeat(sentence, 2))},
		{"at a word", strings.Repeat("word ", 30), 52, strings.TrimSpace(strings.Repeat("word ", 9)) + "…"},
		{"anywhere", strings.Repeat("x", 30), 10, "xxxxxxx…"},
		{"on a rune", strings.Repeat("é", 30), 10, "ééé…"},
	}
	for _, tt := range tests {
		got := cutText(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("%s: cutText = %q, want %q", tt.name, got, tt.want)
		}
		if len(got) > tt.max || !utf8.ValidString(got) {
			t.Errorf("%s: cutText = %q: %d bytes (max %d), valid UTF-8: %v", tt.name, got, len(got), tt.max, utf8.ValidString(got))
		}
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		summary, description string
		deprecated           bool
		want                 string
	}{
		{"Get a repo", "Returns the repository.", false, "Get a repo.\n\nReturns the repository."},
		{"Get a repo.", "Get a repo. With details.", false, "Get a repo. With details."},
		{"", "", false, "Calls GET /repos/{repo}."},
		{"", "", true, "Deprecated.\n\nCalls GET /repos/{repo}."},
		{"Old", "", true, "Deprecated.\n\nOld."},
	}
	for _, tt := range tests {
		if got := describe(tt.summary, tt.description, tt.deprecated, "GET", "/repos/{repo}"); got != tt.want {
			t.Errorf("describe(%q, %q, %v) = %q, want %q", tt.summary, tt.description, tt.deprecated, got, tt.want)
		}
	}
}

package openapi

import (
	"strings"
	"unicode/utf8"
)

// DescriptionMax bounds a tool's description: long enough for what a model
// needs to pick the tool, short enough not to crowd its context.
const DescriptionMax = 1024

// describe writes a tool's description from the operation's summary and
// description, cut to DescriptionMax at a sentence or word boundary.
func describe(summary, description string, deprecated bool, method, path string) string {
	summary = strings.TrimSpace(summary)
	description = strings.TrimSpace(description)
	var parts []string
	if deprecated {
		parts = append(parts, "Deprecated.")
	}
	if summary != "" && !strings.HasPrefix(description, strings.TrimRight(summary, ".")) {
		parts = append(parts, ensurePeriod(summary))
	}
	if description != "" {
		parts = append(parts, description)
	}
	if len(parts) == 0 || (len(parts) == 1 && deprecated) {
		parts = append(parts, "Calls "+method+" "+path+".")
	}
	return cutText(strings.Join(parts, "\n\n"), DescriptionMax)
}

func ensurePeriod(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, ":") {
		return s
	}
	return s + "."
}

// cutText returns s when it fits in max bytes; otherwise s cut at the last
// sentence end in its second half, else at the last space, else anywhere
// (on a rune boundary), followed by "…" when the cut is mid-sentence.
func cutText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ellipsis = "…"
	limit := max - len(ellipsis)
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	window := s[:limit]
	if i := lastSentenceEnd(window); i >= limit/2 {
		return strings.TrimSpace(s[:i+1])
	}
	if i := strings.LastIndexAny(window, " \n\t"); i >= limit/2 {
		return strings.TrimSpace(window[:i]) + ellipsis
	}
	return window + ellipsis
}

// lastSentenceEnd returns the index of the last '.', '!' or '?' in s that is
// followed by white space, or -1.
func lastSentenceEnd(s string) int {
	for i := len(s) - 2; i >= 0; i-- {
		switch s[i] {
		case '.', '!', '?':
			if n := s[i+1]; n == ' ' || n == '\n' || n == '\t' {
				return i
			}
		}
	}
	return -1
}

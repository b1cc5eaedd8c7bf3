package redact

import (
	"bytes"
	"slices"
	"strings"
)

// String returns s with every form of every secret replaced by
// Placeholder. Overlapping occurrences are merged into one placeholder.
// When nothing matches, s itself is returned without allocating.
func (r *Redactor) String(s string) string {
	if r == nil || len(r.forms) == 0 {
		return s
	}
	for range maxPasses {
		var stack [16]span
		spans := findSpans(s, r.forms, strings.Index, stack[:0])
		if len(spans) == 0 {
			return s
		}
		s = replaceString(s, spans)
	}
	if !r.containsString(s) {
		return s
	}
	return Placeholder
}

// Bytes is String for byte slices. When nothing matches it returns b
// itself, without allocating; otherwise it returns a new slice and leaves b
// untouched.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil || len(r.forms) == 0 {
		return b
	}
	for range maxPasses {
		var stack [16]span
		spans := findSpans(b, r.formBytes, bytes.Index, stack[:0])
		if len(spans) == 0 {
			return b
		}
		b = replaceBytes(b, spans)
	}
	if !r.containsBytes(b) {
		return b
	}
	return []byte(Placeholder)
}

// span is a half-open byte range [start, end) to be replaced.
type span struct{ start, end int }

// findSpans returns the merged ranges of s covered by any occurrence of any
// form, overlapping occurrences included, in order.
func findSpans[T string | []byte](s T, forms []T, index func(s, sub T) int, spans []span) []span {
	for _, form := range forms {
		for offset := 0; offset+len(form) <= len(s); {
			i := index(s[offset:], form)
			if i < 0 {
				break
			}
			start := offset + i
			spans = append(spans, span{start, start + len(form)})
			offset = start + 1
		}
	}
	if len(spans) < 2 {
		return spans
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		last := &merged[len(merged)-1]
		if sp.start < last.end {
			last.end = max(last.end, sp.end)
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

func replaceString(s string, spans []span) string {
	var b strings.Builder
	b.Grow(outputLen(len(s), spans))
	prev := 0
	for _, sp := range spans {
		b.WriteString(s[prev:sp.start])
		b.WriteString(Placeholder)
		prev = sp.end
	}
	b.WriteString(s[prev:])
	return b.String()
}

func replaceBytes(s []byte, spans []span) []byte {
	out := make([]byte, 0, outputLen(len(s), spans))
	prev := 0
	for _, sp := range spans {
		out = append(out, s[prev:sp.start]...)
		out = append(out, Placeholder...)
		prev = sp.end
	}
	return append(out, s[prev:]...)
}

func outputLen(n int, spans []span) int {
	for _, sp := range spans {
		n += len(Placeholder) - (sp.end - sp.start)
	}
	return max(n, 0)
}

func (r *Redactor) containsString(s string) bool {
	for _, form := range r.forms {
		if strings.Contains(s, form) {
			return true
		}
	}
	return false
}

func (r *Redactor) containsBytes(b []byte) bool {
	for _, form := range r.formBytes {
		if bytes.Contains(b, form) {
			return true
		}
	}
	return false
}

// Matches reports whether b holds any form of any secret: whether Bytes
// would change it.
func (r *Redactor) Matches(b []byte) bool {
	return r != nil && r.containsBytes(b)
}

// MaxFormLen is the length of the longest form of any secret (0 without
// secrets). A text cut at n bytes shows part of a secret only if one
// starts within MaxFormLen bytes before n: checking the text up to n plus
// MaxFormLen with Matches finds it.
func (r *Redactor) MaxFormLen() int {
	if r == nil || len(r.forms) == 0 {
		return 0
	}
	return len(r.forms[0]) // longest first
}

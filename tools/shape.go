package tools

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Shape turns an upstream response body into the result a model reads,
// always valid JSON (and valid UTF-8):
//
//   - An empty (or all-whitespace) body is null, whatever maxBytes is.
//   - A body that parses as JSON is JSON, whatever contentType says (many
//     APIs send JSON as text/plain); a body that does not parse is text, even
//     when labelled application/json. contentType is therefore advisory.
//   - JSON with cfg.Select: an object with one member per selected gjson
//     path (e.g. "status", "items.0.id", "items.#.id"), in Select order,
//     keyed by the path as written. A path that matches nothing is null, so
//     the result has the same members on every call. Duplicate paths appear
//     once.
//   - JSON without Select: the body compacted.
//   - Text: a JSON string of the body, invalid UTF-8 replaced by U+FFFD.
//     Select does not apply.
//
// When the result is longer than maxBytes (MaxBytesDefault when ≤ 0), it is
// cut and truncated is true:
//
//   - A JSON array, object or string keeps its type and stays valid JSON of
//     at most maxBytes, markers included (see shape_cut.go for the rule):
//     arrays and strings are shortened before object members are dropped,
//     the end of the document goes first, an array cut short ends with the
//     item "…[truncated: N more items]", a string with
//     "…[truncated: showing N of M bytes]" (N and M count bytes of its
//     text), and an object that lost members with the member
//     "_truncated": "N more fields" (TruncatedMember).
//   - Text, a long number, and JSON too small a budget cannot hold even the
//     shortest cut form of (maxBytes under about 40 bytes), become a JSON
//     string holding the first bytes of the text (the body text, or the
//     JSON text), cut at a character boundary so that the encoded string
//     fits in maxBytes, followed by the marker
//     "…[truncated: showing N of M bytes]" (N and M count bytes of that
//     text). That result is at most maxBytes plus the marker's length
//     (maxBytes of at least 2 assumed).
func Shape(body []byte, contentType string, cfg *ResponseConfig, maxBytes int) (result json.RawMessage, truncated bool) {
	_ = contentType // advisory; see the doc comment
	result, truncated, _ = shape(body, cfg, maxBytes, 0)
	return result, truncated
}

// shape is Shape, also returning the text the result shows part or all of
// (the compact JSON, the projection or the body), through at least margin
// bytes past what the result shows: a secret that the result shows even
// part of is whole in it.
func shape(body []byte, cfg *ResponseConfig, maxBytes, margin int) (result json.RawMessage, truncated bool, shown []byte) {
	if maxBytes <= 0 {
		maxBytes = MaxBytesDefault
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return json.RawMessage("null"), false, nil
	}
	// A result cut as text shows at most maxBytes of its text; the
	// character there may end up to 3 bytes later.
	window := maxBytes + utf8.UTFMax + margin
	var out []byte
	if cfg == nil || len(cfg.Select) == 0 {
		// One pass checks and compacts.
		if compact, ok := compactJSONShared(trimmed); ok {
			out = compact
		}
	} else if _, _, ok := compactJSON(nil, trimmed, 0); ok {
		out = shapeJSON(trimmed, cfg)
	}
	if out != nil {
		if len(out) <= maxBytes {
			return out, false, out
		}
		if cut, shown, ok := cutJSON(out, maxBytes, margin); ok {
			return cut, true, shown
		}
		shown = out[:min(len(out), window)]
		return truncateJSONString(string(shown), len(out), maxBytes), true, shown
	}
	// Text: its encoding is at least two bytes longer than it, so a body
	// that long is cut without being encoded whole.
	if len(body)+2 > maxBytes {
		shown = body[:min(len(body), window)]
		return truncateJSONString(string(shown), len(body), maxBytes), true, shown
	}
	text := string(body)
	out = appendJSONString(make([]byte, 0, len(text)+2), text)
	if len(out) <= maxBytes {
		return out, false, body
	}
	return truncateJSONString(text, len(text), maxBytes), true, body
}

// shapeJSON projects body, valid JSON, onto cfg.Select.
func shapeJSON(body []byte, cfg *ResponseConfig) []byte {
	var buf []byte
	buf = append(buf, '{')
	seen := make(map[string]bool, len(cfg.Select))
	for _, path := range cfg.Select {
		if seen[path] {
			continue
		}
		seen[path] = true
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, path)
		buf = append(buf, ':')
		r := gjson.GetBytes(body, path)
		if !r.Exists() {
			buf = append(buf, "null"...)
			continue
		}
		out, _, ok := compactJSON(buf, []byte(r.Raw), -1)
		if !ok {
			out = appendJSONString(buf, r.String())
		}
		buf = out
	}
	return append(buf, '}')
}

// truncationMarker is appended to a truncated result's text.
func truncationMarker(shown, total int) string {
	return "…[truncated: showing " + strconv.Itoa(shown) + " of " + strconv.Itoa(total) + " bytes]"
}

// truncateJSONString returns a JSON string of the longest prefix of text
// whose encoding fits in maxBytes (quotes included), cut at a character
// boundary, followed by the truncation marker; total is the length of the
// whole text, of which text may be only the first bytes (at least
// maxBytes+utf8.UTFMax of them).
func truncateJSONString(text string, total, maxBytes int) json.RawMessage {
	limit := max(maxBytes-2, 0)
	n, encoded := 0, 0
	for n < len(text) {
		size, enc := jsonCharLen(text, n)
		if encoded+enc > limit {
			break
		}
		encoded += enc
		n += size
	}
	marker := truncationMarker(n, total)
	out := make([]byte, 0, encoded+len(marker)+2)
	out = append(out, '"')
	out = appendJSONChars(out, text[:n])
	out = append(out, marker...)
	return append(out, '"')
}

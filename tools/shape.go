package tools

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
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
	if maxBytes <= 0 {
		maxBytes = MaxBytesDefault
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return json.RawMessage("null"), false
	}
	var text string
	if json.Valid(trimmed) {
		out := shapeJSON(trimmed, cfg)
		if !utf8.Valid(out) {
			// Invalid bytes of valid JSON can only be inside strings, where
			// an escaped U+FFFD keeps the JSON valid.
			out = []byte(strings.ToValidUTF8(string(out), `\ufffd`))
		}
		if len(out) <= maxBytes {
			return out, false
		}
		if cut, ok := cutJSON(out, maxBytes); ok {
			return cut, true
		}
		text = string(out)
	} else {
		text = string(body)
		out := appendJSONString(make([]byte, 0, len(text)+2), text)
		if len(out) <= maxBytes {
			return out, false
		}
	}
	return truncateJSONString(text, maxBytes), true
}

// shapeJSON compacts body, or projects it onto cfg.Select.
func shapeJSON(body []byte, cfg *ResponseConfig) []byte {
	var buf bytes.Buffer
	if cfg == nil || len(cfg.Select) == 0 {
		buf.Grow(len(body))
		if err := json.Compact(&buf, body); err != nil {
			return body // cannot happen: body is valid
		}
		return buf.Bytes()
	}
	buf.WriteByte('{')
	seen := make(map[string]bool, len(cfg.Select))
	for _, path := range cfg.Select {
		if seen[path] {
			continue
		}
		seen[path] = true
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		buf.Write(appendJSONString(nil, path))
		buf.WriteByte(':')
		r := gjson.GetBytes(body, path)
		switch {
		case !r.Exists():
			buf.WriteString("null")
		case json.Valid([]byte(r.Raw)):
			_ = json.Compact(&buf, []byte(r.Raw))
		default:
			buf.Write(appendJSONString(nil, r.String()))
		}
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// truncationMarker is appended to a truncated result's text.
func truncationMarker(shown, total int) string {
	return "…[truncated: showing " + strconv.Itoa(shown) + " of " + strconv.Itoa(total) + " bytes]"
}

// truncateJSONString returns a JSON string of the longest prefix of text
// whose encoding fits in maxBytes (quotes included), cut at a character
// boundary, followed by the truncation marker.
func truncateJSONString(text string, maxBytes int) json.RawMessage {
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
	marker := truncationMarker(n, len(text))
	out := make([]byte, 0, encoded+len(marker)+2)
	out = append(out, '"')
	out = appendJSONChars(out, text[:n])
	out = append(out, marker...)
	return append(out, '"')
}

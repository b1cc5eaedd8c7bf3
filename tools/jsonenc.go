package tools

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"
)

// JSON encoding of rendered values. Strings are encoded by encoding/json
// with HTML escaping off: <, > and & stay as they are, quote, backslash and
// control characters are escaped, U+2028 and U+2029 too, and invalid UTF-8
// becomes \ufffd. That is also one of the forms in which the redactor looks
// for secret values (redact.New), so a secret rendered into a body is found.

// appendJSONValue appends v as JSON, keeping its type.
func appendJSONValue(buf []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendJSONString(buf, v), nil
	case bool:
		return strconv.AppendBool(buf, v), nil
	case float64:
		if v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308 {
			return nil, fmt.Errorf("unsupported number %v", v)
		}
		return append(buf, formatFloat(v)...), nil
	case json.Number:
		if !isJSONNumber(string(v)) {
			return nil, fmt.Errorf("invalid number %q", string(v))
		}
		return append(buf, v...), nil
	case int:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(buf, v, 10), nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(buf, data...), nil
}

// isJSONNumber reports whether s is exactly one JSON number: a JSON value
// (json.Valid) that starts with a digit or '-' and ends with a digit, so it
// is neither another kind of value nor padded with space.
func isJSONNumber(s string) bool {
	if s == "" || !isDigit(s[len(s)-1]) || s[0] != '-' && !isDigit(s[0]) {
		return false
	}
	return json.Valid([]byte(s))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// appendJSONString appends s as a JSON string, as encoding/json writes it
// with HTML escaping off.
func appendJSONString(buf []byte, s string) []byte {
	if jsonVerbatim(s) {
		buf = append(buf, '"')
		buf = append(buf, s...)
		return append(buf, '"')
	}
	q := quoters.Get().(*jsonQuoter)
	q.out, q.s = buf, s
	_ = q.enc.Encode(&q.s)     // a string always encodes; a pointer is not copied to the heap
	buf = q.out[:len(q.out)-1] // Encode ends the value with a newline
	q.out, q.s = nil, ""
	quoters.Put(q)
	return buf
}

// appendJSONChars appends s escaped for the inside of a JSON string: what
// appendJSONString writes between the quotes.
func appendJSONChars(buf []byte, s string) []byte {
	if jsonVerbatim(s) {
		return append(buf, s...)
	}
	start := len(buf)
	buf = appendJSONString(buf, s)
	n := copy(buf[start:], buf[start+1:len(buf)-1])
	return buf[:start+n]
}

// jsonQuoter is a json.Encoder appending to out.
type jsonQuoter struct {
	enc *json.Encoder
	out []byte
	s   string
}

// Write implements io.Writer for the encoder.
func (q *jsonQuoter) Write(p []byte) (int, error) {
	q.out = append(q.out, p...)
	return len(p), nil
}

var quoters = sync.Pool{New: func() any {
	q := new(jsonQuoter)
	q.enc = json.NewEncoder(q)
	q.enc.SetEscapeHTML(false)
	return q
}}

// jsonVerbatim reports whether encoding/json (HTML escaping off) writes s
// unchanged between the quotes: no quote, backslash or control character,
// valid UTF-8 without U+2028 and U+2029. Only other text goes through the
// encoder; a test holds this to encoding/json.
func jsonVerbatim(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}

// jsonCharLen returns the size of the character at s[i] and the length of
// its encoding by appendJSONChars (a test holds it to encoding/json), so a
// string can be cut to fit a byte budget without encoding every prefix.
func jsonCharLen(s string, i int) (size, encoded int) {
	c := s[i]
	if c < utf8.RuneSelf {
		switch {
		case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
			return 1, 2
		case c < 0x20:
			return 1, 6 // \u00XX
		}
		return 1, 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
		return size, 6 // \ufffd, \u2028, \u2029
	}
	return size, size
}

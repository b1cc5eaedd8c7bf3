package tools

import (
	"unicode/utf8"
)

// JSON checking and compacting in one pass. An upstream's body is shaped
// on every call: checking it with json.Valid and then compacting it with
// json.Compact reads it twice through encoding/json's byte-at-a-time
// scanner, which at 1 MB was a third of the gateway's CPU. compactJSON
// accepts exactly what json.Valid accepts, writes what json.Compact writes
// (with each run of invalid UTF-8 in a string replaced by an escaped
// U+FFFD, as strings.ToValidUTF8 would), and keeps only the first bytes of
// the output when the caller will cut it anyway. A fuzz test holds it to
// encoding/json.

// maxJSONDepth is encoding/json's limit on nesting: deeper documents are
// not valid JSON for json.Valid.
const maxJSONDepth = 10000

// escapedReplacement stands for a run of invalid UTF-8 in a string.
const escapedReplacement = `\ufffd`

// compacter is the state of one compactJSON pass.
type compacter struct {
	src []byte
	i   int
	// start is where the source not yet written to out begins: runs of
	// the source are written whole, up to skipped whitespace or a
	// replaced byte.
	start int
	// out receives the compact form, at most keep bytes of it; total
	// counts all of it.
	out   []byte
	keep  int
	total int
	depth int
}

// compactJSON reports whether src is one JSON value, optionally surrounded
// by whitespace (what json.Valid accepts). If it is, it appends to dst the
// first keep bytes (all, when keep < 0) of its compact form and returns
// the length of the whole compact form.
func compactJSON(dst, src []byte, keep int) (out []byte, total int, ok bool) {
	c := compacter{src: src, out: dst, keep: keep}
	if keep < 0 {
		c.keep = int(^uint(0) >> 1)
	}
	c.skipSpace()
	if !c.value() {
		return dst, 0, false
	}
	c.skipSpace()
	if c.i != len(src) {
		return dst, 0, false
	}
	c.flush(c.i)
	return c.out, c.total, true
}

// flush writes the source from start up to end.
func (c *compacter) flush(end int) {
	if end > c.start {
		c.emit(c.src[c.start:end])
	}
	c.start = end
}

// emit writes b to the output, within keep.
func (c *compacter) emit(b []byte) {
	c.total += len(b)
	if room := c.keep - (c.total - len(b)); room > 0 {
		c.out = append(c.out, b[:min(len(b), room)]...)
	}
}

func (c *compacter) emitString(s string) {
	c.total += len(s)
	if room := c.keep - (c.total - len(s)); room > 0 {
		c.out = append(c.out, s[:min(len(s), room)]...)
	}
}

// skipSpace skips whitespace, which is not written.
func (c *compacter) skipSpace() {
	if c.i >= len(c.src) || !isSpace(c.src[c.i]) {
		return
	}
	c.flush(c.i)
	for c.i < len(c.src) && isSpace(c.src[c.i]) {
		c.i++
	}
	c.start = c.i
}

func isSpace(ch byte) bool { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' }

// value checks and emits one value at c.i.
func (c *compacter) value() bool {
	if c.i >= len(c.src) {
		return false
	}
	switch ch := c.src[c.i]; {
	case ch == '{':
		return c.object()
	case ch == '[':
		return c.array()
	case ch == '"':
		return c.str()
	case ch == '-' || isDigit(ch):
		return c.number()
	case ch == 't':
		return c.literal("true")
	case ch == 'f':
		return c.literal("false")
	case ch == 'n':
		return c.literal("null")
	}
	return false
}

func (c *compacter) literal(word string) bool {
	if len(c.src)-c.i < len(word) || string(c.src[c.i:c.i+len(word)]) != word {
		return false
	}
	c.i += len(word)
	return true
}

// push enters an object or array.
func (c *compacter) push() bool {
	c.depth++
	return c.depth <= maxJSONDepth
}

func (c *compacter) object() bool {
	if !c.push() {
		return false
	}
	c.i++
	c.skipSpace()
	if c.i < len(c.src) && c.src[c.i] == '}' {
		c.i++
		c.depth--
		return true
	}
	for {
		if c.i >= len(c.src) || c.src[c.i] != '"' || !c.str() {
			return false
		}
		c.skipSpace()
		if c.i >= len(c.src) || c.src[c.i] != ':' {
			return false
		}
		c.i++
		c.skipSpace()
		if !c.value() {
			return false
		}
		c.skipSpace()
		if c.i >= len(c.src) {
			return false
		}
		switch c.src[c.i] {
		case ',':
			c.i++
			c.skipSpace()
		case '}':
			c.i++
			c.depth--
			return true
		default:
			return false
		}
	}
}

func (c *compacter) array() bool {
	if !c.push() {
		return false
	}
	c.i++
	c.skipSpace()
	if c.i < len(c.src) && c.src[c.i] == ']' {
		c.i++
		c.depth--
		return true
	}
	for {
		if !c.value() {
			return false
		}
		c.skipSpace()
		if c.i >= len(c.src) {
			return false
		}
		switch c.src[c.i] {
		case ',':
			c.i++
			c.skipSpace()
		case ']':
			c.i++
			c.depth--
			return true
		default:
			return false
		}
	}
}

// number checks a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (c *compacter) number() bool {
	src, i := c.src, c.i
	if src[i] == '-' {
		i++
	}
	switch {
	case i < len(src) && src[i] == '0':
		i++
	case i < len(src) && '1' <= src[i] && src[i] <= '9':
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(src) && src[i] == '.' {
		i++
		if i >= len(src) || !isDigit(src[i]) {
			return false
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if i >= len(src) || !isDigit(src[i]) {
			return false
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	c.i = i
	return true
}

// str checks a string at c.i (its opening quote) and emits it, each run of
// invalid UTF-8 replaced.
func (c *compacter) str() bool {
	src := c.src
	i := c.i + 1
	invalidRun := false
	for i < len(src) {
		// Plain ASCII goes by in a tight loop.
		if j := i; plainStringByte[src[j]] {
			for j < len(src) && plainStringByte[src[j]] {
				j++
			}
			i, invalidRun = j, false
		}
		if i >= len(src) {
			break
		}
		ch := src[i]
		if ch < utf8.RuneSelf {
			invalidRun = false
			switch {
			case ch == '"':
				c.i = i + 1
				return true
			case ch == '\\':
				if i+1 >= len(src) {
					return false
				}
				switch src[i+1] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i += 2
				case 'u':
					if i+6 > len(src) || !isHex(src[i+2]) || !isHex(src[i+3]) || !isHex(src[i+4]) || !isHex(src[i+5]) {
						return false
					}
					i += 6
				default:
					return false
				}
			case ch < 0x20:
				return false
			default:
				i++
			}
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r != utf8.RuneError || size > 1 {
			invalidRun = false
			i += size
			continue
		}
		// An invalid byte: the run it starts (or continues) is written as
		// one escaped U+FFFD.
		c.flush(i)
		if !invalidRun {
			c.emitString(escapedReplacement)
		}
		invalidRun = true
		i++
		c.start = i
	}
	return false
}

func isHex(ch byte) bool {
	return isDigit(ch) || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F'
}

// plainStringByte marks the bytes a string holds as they are: ASCII other
// than control characters, quote and backslash.
var plainStringByte = func() (t [256]bool) {
	for ch := 0x20; ch < utf8.RuneSelf; ch++ {
		t[ch] = ch != '"' && ch != '\\'
	}
	return t
}()

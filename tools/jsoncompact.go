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
// the output when the caller will cut it anyway. It is one loop over the
// body with an explicit stack rather than a recursive descent, and copies
// the body's runs between skipped whitespace whole. A fuzz test holds it
// to encoding/json.

// maxJSONDepth is encoding/json's limit on nesting: deeper documents are
// not valid JSON for json.Valid.
const maxJSONDepth = 10000

// escapedReplacement stands for a run of invalid UTF-8 in a string.
const escapedReplacement = `\ufffd`

// compacter is the output of one compactJSON pass.
type compacter struct {
	src []byte
	// start is where the source not yet written to out begins: runs of
	// the source are written whole, up to skipped whitespace or a
	// replaced byte.
	start int
	// out receives the compact form, at most keep bytes of it; total
	// counts all of it.
	out   []byte
	keep  int
	total int
	// alias is set while the compact form is the source itself so far
	// (nothing skipped or replaced): out is then not written.
	alias bool
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
	if !c.parse() {
		return dst, 0, false
	}
	return c.out, c.total, true
}

// compactJSONShared is compactJSON of all of src into a new slice, except
// that a source already compact, as most bodies are, is returned itself
// (with its capacity cut, so that appending to it copies).
func compactJSONShared(src []byte) (out []byte, ok bool) {
	c := compacter{src: src, keep: int(^uint(0) >> 1), alias: true}
	if !c.parse() {
		return nil, false
	}
	if c.alias {
		return src[:c.total:c.total], true
	}
	return c.out, true
}

// unalias starts writing out, with the source written so far.
func (c *compacter) unalias() {
	c.out = append(make([]byte, 0, len(c.src)), c.src[:c.total]...)
	c.alias = false
}

// flush writes the source from start up to end.
func (c *compacter) flush(end int) {
	if n := end - c.start; n > 0 {
		if c.alias {
			if c.start == c.total {
				c.total += n
				c.start = end
				return
			}
			c.unalias()
		}
		if room := c.keep - c.total; room > 0 {
			c.out = append(c.out, c.src[c.start:c.start+min(n, room)]...)
		}
		c.total += n
	}
	c.start = end
}

// skipSpace skips the whitespace at i, which is not written, and returns
// the index after it. It is small enough to be inlined: whitespace is rare
// in the bodies APIs send.
func (c *compacter) skipSpace(i int) int {
	if i < len(c.src) && c.src[i] <= ' ' {
		return c.skipSpaceRun(i)
	}
	return i
}

func (c *compacter) skipSpaceRun(i int) int {
	src := c.src
	if !isSpace(src[i]) {
		return i
	}
	c.flush(i)
	for i < len(src) && isSpace(src[i]) {
		i++
	}
	c.start = i
	return i
}

func isSpace(ch byte) bool { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' }

// parse checks the whole source, writing its compact form.
func (c *compacter) parse() bool {
	src := c.src
	// inObject has a bit per open container: set for an object.
	var inObject [maxJSONDepth/64 + 1]uint64
	depth := 0
	i := c.skipSpace(0)
	var ok bool

value: // a value starts at i
	if i >= len(src) {
		return false
	}
	switch ch := src[i]; {
	case ch == '"':
		if i, ok = c.str(i); !ok {
			return false
		}
	case ch == '{' || ch == '[':
		if depth == maxJSONDepth {
			return false
		}
		if ch == '{' {
			inObject[depth/64] |= 1 << (depth % 64)
		} else {
			inObject[depth/64] &^= 1 << (depth % 64)
		}
		depth++
		i = c.skipSpace(i + 1)
		if i < len(src) && (src[i] == '}' && ch == '{' || src[i] == ']' && ch == '[') {
			i++
			depth--
			break
		}
		if ch == '{' {
			goto key
		}
		goto value
	case ch == '-' || isDigit(ch):
		if i, ok = scanNumber(src, i); !ok {
			return false
		}
	case ch == 't':
		if i, ok = literal(src, i, "true"); !ok {
			return false
		}
	case ch == 'f':
		if i, ok = literal(src, i, "false"); !ok {
			return false
		}
	case ch == 'n':
		if i, ok = literal(src, i, "null"); !ok {
			return false
		}
	default:
		return false
	}

	// after a value: the end, or what follows it in its container
	for {
		i = c.skipSpace(i)
		if depth == 0 {
			if i != len(src) {
				return false
			}
			c.flush(i)
			return true
		}
		if i >= len(src) {
			return false
		}
		object := inObject[(depth-1)/64]&(1<<((depth-1)%64)) != 0
		switch src[i] {
		case ',':
			i = c.skipSpace(i + 1)
			if object {
				goto key
			}
			goto value
		case '}':
			if !object {
				return false
			}
		case ']':
			if object {
				return false
			}
		default:
			return false
		}
		i++
		depth--
	}

key: // an object member starts at i
	if i >= len(src) || src[i] != '"' {
		return false
	}
	if i, ok = c.str(i); !ok {
		return false
	}
	i = c.skipSpace(i)
	if i >= len(src) || src[i] != ':' {
		return false
	}
	i = c.skipSpace(i + 1)
	goto value
}

func literal(src []byte, i int, word string) (int, bool) {
	if len(src)-i < len(word) || string(src[i:i+len(word)]) != word {
		return i, false
	}
	return i + len(word), true
}

// scanNumber checks the number at i, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?,
// and returns the index after it.
func scanNumber(src []byte, i int) (int, bool) {
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
		return i, false
	}
	if i < len(src) && src[i] == '.' {
		i++
		if i >= len(src) || !isDigit(src[i]) {
			return i, false
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
			return i, false
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	return i, true
}

// str checks the string whose opening quote is at i and returns the index
// after it; each run of invalid UTF-8 in it is written as one escaped
// U+FFFD.
func (c *compacter) str(i int) (int, bool) {
	src := c.src
	i++
	invalidRun := false
	for i < len(src) {
		// Plain ASCII goes by in a tight loop.
		if plainStringByte[src[i]] {
			i++
			for i < len(src) && plainStringByte[src[i]] {
				i++
			}
			invalidRun = false
			if i >= len(src) {
				break
			}
		}
		ch := src[i]
		if ch < utf8.RuneSelf {
			invalidRun = false
			switch {
			case ch == '"':
				return i + 1, true
			case ch == '\\':
				if i+1 >= len(src) {
					return i, false
				}
				switch src[i+1] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i += 2
				case 'u':
					if i+6 > len(src) || !isHex(src[i+2]) || !isHex(src[i+3]) || !isHex(src[i+4]) || !isHex(src[i+5]) {
						return i, false
					}
					i += 6
				default:
					return i, false
				}
			default: // a control character
				return i, false
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
			if c.alias {
				c.unalias()
			}
			if room := c.keep - c.total; room > 0 {
				c.out = append(c.out, escapedReplacement[:min(len(escapedReplacement), room)]...)
			}
			c.total += len(escapedReplacement)
		}
		invalidRun = true
		i++
		c.start = i
	}
	return i, false
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

// validJSON is json.Valid, through the compacter: several times faster.
func validJSON(b []byte) bool {
	_, _, ok := compactJSON(nil, b, 0)
	return ok
}

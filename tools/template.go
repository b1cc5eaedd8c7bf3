package tools

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Roots a placeholder may start with.
const (
	// RootArgs names the agent's arguments: {{args.order_id}}.
	RootArgs = "args"
	// RootContext names the caller context: {{context.user_id}}.
	RootContext = "context"
	// RootConn names the connection's public config: {{conn.region}}.
	RootConn = "conn"
	// RootSecret names the connection's secrets: {{secret.api_key}}.
	RootSecret = "secret"
	// RootVariables names a conversation flow's variables:
	// {{variables.order.status}}. Only templates parsed with ParseOptions
	// that allow it may use it; tool definitions do not.
	RootVariables = "variables"
)

// ParseOptions widens the template language for callers other than tool
// definitions. The zero value is the language of tool definitions.
type ParseOptions struct {
	// AllowRoots names roots accepted besides args, context, conn and
	// secret. RootVariables (conversation flows) is the only such root;
	// other names are ignored. Defaults to none, so {{variables.x}} is an
	// unknown root.
	AllowRoots []string
}

// rootSet is the set of roots a parse accepts beyond the four of tools.
type rootSet uint8

const rootVariables rootSet = 1 << iota

func (o ParseOptions) roots() rootSet {
	var r rootSet
	for _, name := range o.AllowRoots {
		if name == RootVariables {
			r |= rootVariables
		}
	}
	return r
}

// PathElem is one step of a placeholder's path below its root: a property
// name (.city) or an array index ([0]).
type PathElem struct {
	// Key is the property name; empty when IsIndex.
	Key string
	// Index is the array index when IsIndex.
	Index int
	// IsIndex reports whether the step is an array index.
	IsIndex bool
}

// Placeholder is one {{root.path}} of a template.
type Placeholder struct {
	// Root is RootArgs, RootContext, RootConn, RootSecret or, where
	// allowed, RootVariables.
	Root string
	// Path is the steps below the root; never empty.
	Path []PathElem
	// Raw is the expression as written between the braces, without the
	// surrounding spaces: "args.items[0].id".
	Raw string
}

// Name returns the placeholder without its root: "items[0].id" for
// {{args.items[0].id}}. For an args placeholder this is the argument's name
// as a model knows it.
func (p *Placeholder) Name() string { return p.Raw[len(p.Root)+1:] }

// String returns the placeholder as written in a template: "{{args.x}}".
func (p *Placeholder) String() string { return "{{" + p.Raw + "}}" }

// Template is a parsed template: literal text and placeholders. It is parsed
// once (when a tool is saved or loaded) and rendered many times; it is
// immutable and safe for concurrent use.
type Template struct {
	src          string
	parts        []tmplPart
	placeholders []Placeholder
}

// tmplPart is a literal run of text or a reference to a placeholder.
type tmplPart struct {
	lit  string
	ph   int // index into placeholders when isPh
	isPh bool
}

// ParseError is a template that does not parse. NewRequestTemplate sets Field
// to the field of the tool definition holding the template.
type ParseError struct {
	// Field names the definition field: "path", "headers.X-Tenant",
	// "query.verbose", "body.customer.name". Empty from ParseTemplate.
	Field string
	// Offset is the byte offset of the offending {{ in the template, or -1
	// when the error is about the template as a whole.
	Offset int
	// Expr is the text between the braces, when the error is about one
	// placeholder.
	Expr string
	// Reason says what is wrong and what to do instead.
	Reason string
}

// Error implements error.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	switch {
	case e.Expr != "" && e.Offset >= 0:
		fmt.Fprintf(&b, "template {{%s}} at offset %d: ", e.Expr, e.Offset)
	case e.Expr != "":
		fmt.Fprintf(&b, "template {{%s}}: ", e.Expr)
	case e.Offset >= 0:
		fmt.Fprintf(&b, "template at offset %d: ", e.Offset)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// ParseTemplate parses s. Text outside {{ }} is literal; inside, only a
// placeholder is allowed: a root (args, context, conn or secret) followed by
// .name steps and [index] steps, optionally surrounded by spaces. secret
// placeholders take exactly one name. Anything else is a *ParseError naming
// the offending text.
func ParseTemplate(s string) (*Template, error) { return ParseTemplateWith(s, ParseOptions{}) }

// ParseTemplateWith parses s like ParseTemplate, also accepting the roots
// opts allows.
func ParseTemplateWith(s string, opts ParseOptions) (*Template, error) {
	return parseTemplate(s, opts.roots())
}

func parseTemplate(s string, roots rootSet) (*Template, error) {
	t := &Template{src: s}
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			break
		}
		j += i
		if j > i {
			t.parts = append(t.parts, tmplPart{lit: s[i:j]})
		}
		k := strings.Index(s[j+2:], "}}")
		if k < 0 {
			return nil, &ParseError{Offset: j, Reason: "unclosed {{: every {{ needs a matching }}"}
		}
		k += j + 2
		expr := s[j+2 : k]
		ph, reason := parsePlaceholder(expr, roots)
		if reason != "" {
			return nil, &ParseError{Offset: j, Expr: expr, Reason: reason}
		}
		t.parts = append(t.parts, tmplPart{ph: len(t.placeholders), isPh: true})
		t.placeholders = append(t.placeholders, ph)
		i = k + 2
	}
	if i < len(s) {
		t.parts = append(t.parts, tmplPart{lit: s[i:]})
	}
	return t, nil
}

// parsePlaceholder parses the text between {{ and }}, accepting the four
// roots of tools and those in roots. It returns a non-empty reason when the
// text is not a placeholder.
func parsePlaceholder(expr string, roots rootSet) (Placeholder, string) {
	raw := strings.TrimSpace(expr)
	if raw == "" {
		return Placeholder{}, "empty placeholder; write e.g. {{args.name}}"
	}
	n := identLen(raw)
	root := raw[:n]
	switch {
	case root == RootArgs, root == RootContext, root == RootConn, root == RootSecret:
	case root == RootVariables && roots&rootVariables != 0:
	case roots&rootVariables != 0:
		return Placeholder{}, fmt.Sprintf("unknown root %q; a placeholder starts with args., context., conn., secret. or variables.", root)
	default:
		return Placeholder{}, fmt.Sprintf("unknown root %q; a placeholder starts with args., context., conn. or secret.", root)
	}
	ph := Placeholder{Root: root, Raw: raw}
	rest := raw[n:]
	for rest != "" {
		switch rest[0] {
		case '.':
			m := identLen(rest[1:])
			if m == 0 {
				return Placeholder{}, fmt.Sprintf("expected a property name after %q", raw[:len(raw)-len(rest)+1])
			}
			ph.Path = append(ph.Path, PathElem{Key: rest[1 : 1+m]})
			rest = rest[1+m:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return Placeholder{}, "unclosed [ in index"
			}
			digits := rest[1:end]
			idx, err := strconv.Atoi(digits)
			if err != nil || idx < 0 || digits == "" || digits[0] == '+' || digits[0] == '-' || len(digits) > 9 {
				return Placeholder{}, fmt.Sprintf("index [%s] must be a non-negative integer", digits)
			}
			if len(ph.Path) == 0 {
				return Placeholder{}, fmt.Sprintf("%s cannot be indexed; name a property first, e.g. %s.items[0]", root, root)
			}
			ph.Path = append(ph.Path, PathElem{Index: idx, IsIndex: true})
			rest = rest[end+1:]
		default:
			return Placeholder{}, fmt.Sprintf("unexpected %q after %q; use .name or [index] steps only", rest[0], raw[:len(raw)-len(rest)])
		}
	}
	if len(ph.Path) == 0 {
		return Placeholder{}, fmt.Sprintf("%s needs a name, e.g. {{%s.name}}", root, root)
	}
	if root == RootSecret && len(ph.Path) != 1 {
		return Placeholder{}, "a secret placeholder takes exactly one name, e.g. {{secret.api_key}}"
	}
	return ph, ""
}

// identLen returns the length of the identifier at the start of s: ASCII
// letters, digits, '_' and '-'.
func identLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return i
		}
	}
	return len(s)
}

// String returns the template's source text.
func (t *Template) String() string { return t.src }

// Placeholders returns the template's placeholders in order of appearance.
// The slice is a copy.
func (t *Template) Placeholders() []Placeholder { return slices.Clone(t.placeholders) }

// IsSinglePlaceholder reports whether the template is exactly one
// placeholder with no literal text around it ("{{ args.x }}" is; " {{args.x}}"
// and "id-{{args.x}}" are not).
func (t *Template) IsSinglePlaceholder() bool { return len(t.parts) == 1 && t.parts[0].isPh }

// HasPlaceholders reports whether the template has any placeholder.
func (t *Template) HasPlaceholders() bool { return len(t.placeholders) > 0 }

// single returns the template's only placeholder when IsSinglePlaceholder.
func (t *Template) single() *Placeholder {
	if !t.IsSinglePlaceholder() {
		return nil
	}
	return &t.placeholders[0]
}

// Execute renders the template as plain text: each placeholder's value is
// formatted (see Scope.Lookup) and inserted without escaping. A missing value
// is a *RenderError naming the placeholder.
func (t *Template) Execute(s *Scope) (string, error) {
	if ph := t.single(); ph != nil {
		v, ok := s.Lookup(ph)
		if !ok {
			return "", missingError("", ph)
		}
		return valueText("", ph, v)
	}
	var b strings.Builder
	for _, p := range t.parts {
		if !p.isPh {
			b.WriteString(p.lit)
			continue
		}
		ph := &t.placeholders[p.ph]
		v, ok := s.Lookup(ph)
		if !ok {
			return "", missingError("", ph)
		}
		txt, err := valueText("", ph, v)
		if err != nil {
			return "", err
		}
		b.WriteString(txt)
	}
	return b.String(), nil
}

// Scope holds the values placeholders are looked up in.
type Scope struct {
	// Args are the agent's (validated) arguments.
	Args map[string]any
	// Context is the caller context: user_id, channel, conversation_id, agent.
	Context map[string]any
	// Conn is the connection's public config.
	Conn map[string]any
	// Secret are the connection's decrypted secrets.
	Secret map[string]string
	// Variables are a conversation flow's variables (RootVariables).
	Variables map[string]any
}

// Lookup returns the value of p in s. Objects are map[string]any (or
// map[string]string), arrays []any (or []string); numbers may be float64,
// json.Number or Go integers. A value that is absent, JSON null, reached
// through a non-container, or an empty secret is missing (ok is false).
func (s *Scope) Lookup(p *Placeholder) (v any, ok bool) {
	if s == nil || len(p.Path) == 0 {
		return nil, false
	}
	var cur any
	switch p.Root {
	case RootArgs:
		cur = s.Args
	case RootContext:
		cur = s.Context
	case RootConn:
		cur = s.Conn
	case RootVariables:
		cur = s.Variables
	case RootSecret:
		sec, ok := s.Secret[p.Path[0].Key]
		if !ok || sec == "" || len(p.Path) != 1 {
			return nil, false
		}
		return sec, true
	default:
		return nil, false
	}
	for _, e := range p.Path {
		if e.IsIndex {
			switch arr := cur.(type) {
			case []any:
				if e.Index >= len(arr) {
					return nil, false
				}
				cur = arr[e.Index]
			case []string:
				if e.Index >= len(arr) {
					return nil, false
				}
				cur = arr[e.Index]
			default:
				return nil, false
			}
		} else {
			switch m := cur.(type) {
			case map[string]any:
				if cur, ok = m[e.Key]; !ok {
					return nil, false
				}
			case map[string]string:
				if cur, ok = m[e.Key]; !ok {
					return nil, false
				}
			default:
				return nil, false
			}
		}
		if cur == nil {
			return nil, false
		}
	}
	return cur, true
}

// valueText formats a present value as text for a URL, header or string:
// strings as they are, integers without exponent, other numbers as JSON
// writes them, booleans as true/false, objects and arrays JSON-encoded.
func valueText(field string, ph *Placeholder, v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	case float64:
		return formatFloat(v), nil
	case json.Number:
		return formatNumber(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float32:
		return formatFloat(float64(v)), nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return "", &RenderError{Field: field, Placeholder: ph.Raw, Kind: kindOf(ph.Root),
			Reason: "value cannot be encoded as JSON: " + err.Error()}
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if json.Unmarshal(data, &s) == nil {
			return s, nil
		}
	}
	return string(data), nil
}

// formatFloat writes integers without exponent and fraction (1e21 and beyond
// excepted) and other numbers as encoding/json does.
func formatFloat(f float64) string {
	abs := math.Abs(f)
	if f == math.Trunc(f) && abs < 1e21 {
		if abs < 1<<53 {
			return strconv.FormatInt(int64(f), 10)
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	s := strconv.FormatFloat(f, format, -1, 64)
	if format == 'e' {
		// Like encoding/json: 1e-07 becomes 1e-7.
		if n := len(s); n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s = s[:n-2] + s[n-1:]
		}
	}
	return s
}

// formatNumber keeps a json.Number's text unless it has an exponent, in
// which case it is formatted like a float64.
func formatNumber(n json.Number) string {
	s := string(n)
	if strings.ContainsAny(s, "eE") {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return formatFloat(f)
		}
	}
	return s
}

// ----- JSON encoding of values -----

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
		if !validJSONNumber(string(v)) {
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

// appendJSONString appends s as a JSON string.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	buf = appendJSONChars(buf, s)
	return append(buf, '"')
}

// appendJSONChars appends s escaped for the inside of a JSON string: quote,
// backslash and control characters escaped, U+2028 and U+2029 escaped (as
// encoding/json does), invalid UTF-8 replaced by U+FFFD. HTML characters are
// left as they are.
func appendJSONChars(buf []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		size, esc := jsonChar(s, i)
		if esc == "" && size > 0 {
			i += size
			continue
		}
		buf = append(buf, s[start:i]...)
		if esc == "" { // a control character without a short form
			c := s[i]
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			size = 1
		} else {
			buf = append(buf, esc...)
		}
		i += size
		start = i
	}
	return append(buf, s[start:]...)
}

const hexDigits = "0123456789abcdef"

// jsonChar describes the character at s[i]: its size in s and, when it must
// be escaped, its escape. A control character without a short escape has
// size 0 and esc "" (the caller writes \u00XX, 6 bytes).
func jsonChar(s string, i int) (size int, esc string) {
	c := s[i]
	if c < utf8.RuneSelf {
		switch {
		case c == '"':
			return 1, `\"`
		case c == '\\':
			return 1, `\\`
		case c >= 0x20:
			return 1, ""
		case c == '\n':
			return 1, `\n`
		case c == '\r':
			return 1, `\r`
		case c == '\t':
			return 1, `\t`
		}
		return 0, ""
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && size == 1:
		return 1, `\ufffd`
	case r == '\u2028':
		return size, `\u2028`
	case r == '\u2029':
		return size, `\u2029`
	}
	return size, ""
}

// jsonCharLen returns the size of the character at s[i] and the length of
// its encoding in a JSON string.
func jsonCharLen(s string, i int) (size, encoded int) {
	size, esc := jsonChar(s, i)
	switch {
	case size == 0:
		return 1, 6
	case esc != "":
		return size, len(esc)
	}
	return size, size
}

// validJSONNumber reports whether s is a JSON number.
func validJSONNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for s != "" && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for s != "" && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for s != "" && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}

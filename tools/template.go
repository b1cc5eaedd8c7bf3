package tools

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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
	// AllowOptional accepts an optional context placeholder,
	// {{context.x?}}, anywhere in the template. It is for checking the
	// fields of a request definition one by one with the language
	// NewRequestTemplateWith parses them with: NewRequestTemplateWith
	// itself accepts it only as the whole value of a header, a query
	// parameter or a body object field. Defaults to false: {{context.x?}}
	// is refused.
	AllowOptional bool
}

// parseFlags widen what a parse accepts.
type parseFlags uint8

const (
	// allowVariables accepts RootVariables.
	allowVariables parseFlags = 1 << iota
	// allowOptional accepts {{context.x?}}: set for the fields that are
	// dropped when such a value is absent.
	allowOptional
)

func (o ParseOptions) flags() parseFlags {
	var f parseFlags
	for _, name := range o.AllowRoots {
		if name == RootVariables {
			f |= allowVariables
		}
	}
	if o.AllowOptional {
		f |= allowOptional
	}
	return f
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
	// surrounding spaces and without a trailing '?': "args.items[0].id".
	Raw string
	// Optional is set for a context placeholder written with a trailing
	// '?', {{context.tenant?}}: the header, query parameter or body field it
	// is the whole value of is left out when the context has no such value,
	// as for an absent optional argument. Without '?', a context value is
	// required. Only request templates accept it (see NewRequestTemplate).
	Optional bool
}

// Name returns the placeholder without its root: "items[0].id" for
// {{args.items[0].id}}. For an args placeholder this is the argument's name
// as a model knows it.
func (p *Placeholder) Name() string { return p.Raw[len(p.Root)+1:] }

// String returns the placeholder as written in a template: "{{args.x}}",
// "{{context.tenant?}}".
func (p *Placeholder) String() string {
	if p.Optional {
		return "{{" + p.Raw + "?}}"
	}
	return "{{" + p.Raw + "}}"
}

// Reasons for refusing an optional placeholder.
const (
	reasonOptionalNotContext = "only a context placeholder can be optional ({{context.x?}}); an argument is optional when input_schema does not require it"
	reasonOptionalNotWhole   = "an optional placeholder ({{context.x?}}) must be the whole value of a header, a query parameter or a body object field, which is left out when the context has no such value; write it without ? here"
)

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
	return parseTemplate(s, opts.flags())
}

func parseTemplate(s string, flags parseFlags) (*Template, error) {
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
		ph, reason := parsePlaceholder(expr, flags)
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
// roots of tools and what flags allow. It returns a non-empty reason when
// the text is not a placeholder.
func parsePlaceholder(expr string, flags parseFlags) (Placeholder, string) {
	raw := strings.TrimSpace(expr)
	if raw == "" {
		return Placeholder{}, "empty placeholder; write e.g. {{args.name}}"
	}
	n := identLen(raw)
	root := raw[:n]
	switch {
	case root == RootArgs, root == RootContext, root == RootConn, root == RootSecret:
	case root == RootVariables && flags&allowVariables != 0:
	case flags&allowVariables != 0:
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
		case '?':
			if rest != "?" {
				return Placeholder{}, fmt.Sprintf("unexpected %q after %q; ? may only end a placeholder: {{context.x?}}", rest[1], raw[:len(raw)-len(rest)+1])
			}
			ph.Optional, ph.Raw = true, raw[:len(raw)-1]
			rest = ""
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
	switch {
	case ph.Optional && root != RootContext:
		return Placeholder{}, reasonOptionalNotContext
	case ph.Optional && flags&allowOptional == 0:
		return Placeholder{}, reasonOptionalNotWhole
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
func (t *Template) Execute(s *Scope) (string, error) { return t.text("", s, nil) }

// ExecuteLenient renders the template like Execute, except that a missing
// value is rendered as empty text and reported to onMissing (when not nil),
// once per occurrence, in order. It is for text shown to a person, where a
// gap is better than no message. The only error is a value that cannot be
// formatted (see Scope.Lookup), a *RenderError.
func (t *Template) ExecuteLenient(s *Scope, onMissing func(ph *Placeholder)) (string, error) {
	if onMissing == nil {
		onMissing = func(*Placeholder) {}
	}
	var b strings.Builder
	err := t.expandMissing(t.parts, "", s, onMissing, func(text string, _ *Placeholder) error {
		b.WriteString(text)
		return nil
	})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// expand renders parts with expandMissing, a missing value being an error.
func (t *Template) expand(parts []tmplPart, field string, s *Scope, emit func(text string, ph *Placeholder) error) error {
	return t.expandMissing(parts, field, s, nil, emit)
}

// expandMissing is the one loop that renders a template: it walks parts
// (all of t.parts, or the ones of one URL component) in order and hands emit
// each literal as written, with ph nil, and each placeholder's value as text
// (see valueText), with its placeholder. emit encodes both for where they
// land. A placeholder without a value stops the walk with a *RenderError for
// field when onMissing is nil; otherwise onMissing is told and the value is
// emitted as empty text. An error from emit stops the walk too.
func (t *Template) expandMissing(parts []tmplPart, field string, s *Scope, onMissing func(ph *Placeholder),
	emit func(text string, ph *Placeholder) error) error {
	for _, p := range parts {
		if !p.isPh {
			if err := emit(p.lit, nil); err != nil {
				return err
			}
			continue
		}
		ph := &t.placeholders[p.ph]
		v, ok := s.Lookup(ph)
		if !ok {
			if onMissing == nil {
				return missingError(field, ph)
			}
			onMissing(ph)
			if err := emit("", ph); err != nil {
				return err
			}
			continue
		}
		txt, err := valueText(field, ph, v)
		if err != nil {
			return err
		}
		if err := emit(txt, ph); err != nil {
			return err
		}
	}
	return nil
}

// text renders the template as plain text for field. check, when not nil,
// vets each value's text (a header value must not hold a line break).
func (t *Template) text(field string, s *Scope, check func(text string, ph *Placeholder) error) (string, error) {
	single := t.single() != nil
	var out string // the value's text when single: used as it is, no copy
	var b strings.Builder
	err := t.expand(t.parts, field, s, func(text string, ph *Placeholder) error {
		if ph != nil && check != nil {
			if err := check(text, ph); err != nil {
				return err
			}
		}
		if single {
			out = text
		} else {
			b.WriteString(text)
		}
		return nil
	})
	switch {
	case err != nil:
		return "", err
	case single:
		return out, nil
	}
	return b.String(), nil
}

// skeleton returns the template's text with every placeholder replaced by
// "x", to check that the literal text around them parses.
func (t *Template) skeleton() string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.isPh {
			b.WriteByte('x')
		} else {
			b.WriteString(p.lit)
		}
	}
	return b.String()
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

package tools

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		src    string
		want   []Placeholder
		single bool
	}{
		{src: "plain text", want: nil},
		{src: "", want: nil},
		{src: "{{args.x}}", single: true, want: []Placeholder{
			{Root: "args", Raw: "args.x", Path: []PathElem{{Key: "x"}}},
		}},
		{src: "{{ args.x }}", single: true, want: []Placeholder{
			{Root: "args", Raw: "args.x", Path: []PathElem{{Key: "x"}}},
		}},
		{src: " {{args.x}}", want: []Placeholder{
			{Root: "args", Raw: "args.x", Path: []PathElem{{Key: "x"}}},
		}},
		{src: "{{args.items[0].id}}", single: true, want: []Placeholder{
			{Root: "args", Raw: "args.items[0].id", Path: []PathElem{{Key: "items"}, {Index: 0, IsIndex: true}, {Key: "id"}}},
		}},
		{src: "/a/{{args.address.city}}/{{context.user_id}}-{{conn.region}}?k={{secret.api_key}}", want: []Placeholder{
			{Root: "args", Raw: "args.address.city", Path: []PathElem{{Key: "address"}, {Key: "city"}}},
			{Root: "context", Raw: "context.user_id", Path: []PathElem{{Key: "user_id"}}},
			{Root: "conn", Raw: "conn.region", Path: []PathElem{{Key: "region"}}},
			{Root: "secret", Raw: "secret.api_key", Path: []PathElem{{Key: "api_key"}}},
		}},
		{src: "{{args.m[2][10]}}", single: true, want: []Placeholder{
			{Root: "args", Raw: "args.m[2][10]", Path: []PathElem{{Key: "m"}, {Index: 2, IsIndex: true}, {Index: 10, IsIndex: true}}},
		}},
		{src: "a }} b", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tmpl, err := ParseTemplate(tt.src)
			if err != nil {
				t.Fatalf("ParseTemplate(%q) = %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, tmpl.Placeholders()); diff != "" {
				t.Errorf("Placeholders() mismatch (-want +got):\n%s", diff)
			}
			if got := tmpl.IsSinglePlaceholder(); got != tt.single {
				t.Errorf("IsSinglePlaceholder() = %v, want %v", got, tt.single)
			}
			if got := tmpl.String(); got != tt.src {
				t.Errorf("String() = %q, want %q", got, tt.src)
			}
		})
	}
}

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct {
		src        string
		wantInMsg  string
		wantOffset int
	}{
		{"{{foo.x}}", `unknown root "foo"`, 0},
		{"ab{{ vars.x }}", `unknown root "vars"`, 2},
		{"{{args}}", "args needs a name", 0},
		{"{{args.}}", "expected a property name", 0},
		{"{{args.x + 1}}", "unexpected ' '", 0},
		{"{{args.x | upper}}", "unexpected", 0},
		{"{{args.x[}}", "unclosed [", 0},
		{"{{args.x[-1]}}", "non-negative integer", 0},
		{"{{args.x[a]}}", "non-negative integer", 0},
		{"{{args[0]}}", "cannot be indexed", 0},
		{"{{secret.a.b}}", "exactly one name", 0},
		{"{{}}", "empty placeholder", 0},
		{"{{  }}", "empty placeholder", 0},
		{"x {{args.x", "unclosed {{", 2},
		{"{{{args.x}}}", "unknown root", 0},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := ParseTemplate(tt.src)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseTemplate(%q) error = %v, want *ParseError", tt.src, err)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantInMsg)
			}
			if pe.Offset != tt.wantOffset {
				t.Errorf("Offset = %d, want %d", pe.Offset, tt.wantOffset)
			}
		})
	}
}

func TestScopeLookup(t *testing.T) {
	s := &Scope{
		Args: map[string]any{
			"items":   []any{map[string]any{"id": "a1"}, nil},
			"address": map[string]any{"city": "Nairobi"},
			"n":       nil,
			"tags":    []string{"x"},
		},
		Context:   map[string]any{"user_id": "u1"},
		Conn:      map[string]any{"labels": map[string]string{"env": "prod"}},
		Secret:    map[string]string{"token": "t0k", "empty": ""},
		Variables: map[string]any{"order": map[string]any{"status": "late", "lines": []any{map[string]any{"id": "l1"}}}},
	}
	tests := []struct {
		expr   string
		want   any
		wantOK bool
	}{
		{"args.items[0].id", "a1", true},
		{"args.items[1]", nil, false}, // JSON null is missing
		{"args.items[2]", nil, false},
		{"args.items.id", nil, false},
		{"args.address.city", "Nairobi", true},
		{"args.address.city.x", nil, false},
		{"args.n", nil, false},
		{"args.tags[0]", "x", true},
		{"args.nope", nil, false},
		{"context.user_id", "u1", true},
		{"conn.labels.env", "prod", true},
		{"secret.token", "t0k", true},
		{"secret.empty", nil, false},
		{"secret.nope", nil, false},
		{"variables.order.status", "late", true},
		{"variables.order.lines[0].id", "l1", true},
		{"variables.order.lines[1].id", nil, false},
		{"variables.nope", nil, false},
	}
	for _, tt := range tests {
		ph, reason := parsePlaceholder(tt.expr, allowVariables)
		if reason != "" {
			t.Fatalf("parsePlaceholder(%q): %s", tt.expr, reason)
		}
		got, ok := s.Lookup(&ph)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("Lookup(%s) = %v, %v; want %v, %v", tt.expr, got, ok, tt.want, tt.wantOK)
		}
	}
	var nilScope *Scope
	ph, _ := parsePlaceholder("args.x", 0)
	if _, ok := nilScope.Lookup(&ph); ok {
		t.Error("nil scope: Lookup reported a value")
	}
}

func TestValueText(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{"s", "s"},
		{true, "true"},
		{false, "false"},
		{float64(42), "42"},
		{float64(-3), "-3"},
		{float64(1e20), "100000000000000000000"},
		{float64(12345678901234567), "12345678901234568"},
		{1.5, "1.5"},
		{1e-7, "1e-7"},
		{1e21, "1e+21"},
		{json.Number("7"), "7"},
		{json.Number("12.50"), "12.50"},
		{json.Number("1e3"), "1000"},
		{int(5), "5"},
		{int64(-5), "-5"},
		{map[string]any{"b": 1.0, "a": "x"}, `{"a":"x","b":1}`},
		{[]any{"a", 1.0, true}, `["a",1,true]`},
	}
	ph := &Placeholder{Root: RootArgs, Raw: "args.x"}
	for _, tt := range tests {
		got, err := valueText("f", ph, tt.in)
		if err != nil || got != tt.want {
			t.Errorf("valueText(%#v) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestExecute(t *testing.T) {
	tmpl, err := ParseTemplate("Hello {{ args.name }}, order {{args.n}} for {{context.user}}")
	if err != nil {
		t.Fatal(err)
	}
	s := &Scope{Args: map[string]any{"name": "Ann", "n": 3.0}, Context: map[string]any{"user": "u1"}}
	got, err := tmpl.Execute(s)
	if want := "Hello Ann, order 3 for u1"; err != nil || got != want {
		t.Errorf("Execute = %q, %v; want %q", got, err, want)
	}
	_, err = tmpl.Execute(&Scope{Args: s.Args})
	var re *RenderError
	if !errors.As(err, &re) || re.Placeholder != "context.user" || re.Kind != KindContext {
		t.Errorf("Execute without context = %v; want a RenderError naming context.user", err)
	}
}

func TestExecuteLenient(t *testing.T) {
	s := &Scope{
		Variables: map[string]any{"order": "shipped", "lines": []any{map[string]any{"id": "l1"}}, "n": nil},
		Context:   map[string]any{"user": "u1"},
	}
	tests := []struct {
		src     string
		want    string
		missing []string
	}{
		{src: "no placeholders", want: "no placeholders"},
		{src: "{{variables.order}} for {{context.user}}", want: "shipped for u1"},
		// A path below a string is missing; the string itself is not.
		{src: "{{variables.order}} / {{variables.order.status}}", want: "shipped / ", missing: []string{"{{variables.order.status}}"}},
		{src: "{{variables.lines[0].id}},{{variables.lines[1].id}},{{variables.lines[0].id.x}}", want: "l1,,",
			missing: []string{"{{variables.lines[1].id}}", "{{variables.lines[0].id.x}}"}},
		{src: "[{{variables.n}}][{{context.nope.deep}}][{{variables.n}}]", want: "[][][]",
			missing: []string{"{{variables.n}}", "{{context.nope.deep}}", "{{variables.n}}"}},
		{src: "{{variables.gone}}", want: "", missing: []string{"{{variables.gone}}"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tmpl, err := ParseTemplateWith(tt.src, ParseOptions{AllowRoots: []string{RootVariables}})
			if err != nil {
				t.Fatal(err)
			}
			var missing []string
			got, err := tmpl.ExecuteLenient(s, func(ph *Placeholder) { missing = append(missing, ph.String()) })
			if err != nil || got != tt.want {
				t.Errorf("ExecuteLenient = %q, %v; want %q", got, err, tt.want)
			}
			if diff := cmp.Diff(tt.missing, missing); diff != "" {
				t.Errorf("missing mismatch (-want +got):\n%s", diff)
			}
			if got, err := tmpl.ExecuteLenient(s, nil); err != nil || got != tt.want {
				t.Errorf("ExecuteLenient(nil onMissing) = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// A value that cannot be formatted is still an error.
	tmpl, err := ParseTemplate("{{args.f}}")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tmpl.ExecuteLenient(&Scope{Args: map[string]any{"f": func() {}}}, nil)
	var re *RenderError
	if !errors.As(err, &re) || re.Placeholder != "args.f" {
		t.Errorf("ExecuteLenient of a func value = %v; want a RenderError naming args.f", err)
	}
}

func TestParseOptionsAllowOptional(t *testing.T) {
	for _, src := range []string{"{{context.tenant?}}", "t-{{ context.tenant? }}"} {
		if _, err := ParseTemplate(src); err == nil || !strings.Contains(err.Error(), "must be the whole value") {
			t.Errorf("ParseTemplate(%q) error = %v; want the optional placeholder refused", src, err)
		}
		tmpl, err := ParseTemplateWith(src, ParseOptions{AllowOptional: true})
		if err != nil {
			t.Fatalf("ParseTemplateWith(%q, AllowOptional) = %v", src, err)
		}
		want := []Placeholder{{Root: RootContext, Raw: "context.tenant", Path: []PathElem{{Key: "tenant"}}, Optional: true}}
		if diff := cmp.Diff(want, tmpl.Placeholders()); diff != "" {
			t.Errorf("Placeholders() of %q mismatch (-want +got):\n%s", src, diff)
		}
	}
	// Only a context placeholder can be optional, option or not.
	if _, err := ParseTemplateWith("{{args.x?}}", ParseOptions{AllowOptional: true}); err == nil || !strings.Contains(err.Error(), "only a context placeholder") {
		t.Errorf("ParseTemplateWith({{args.x?}}, AllowOptional) error = %v; want it refused", err)
	}
}

// FuzzParseTemplate checks that parsing never panics and that a parsed
// template's literal text and placeholders add up to its source.
func FuzzParseTemplate(f *testing.F) {
	for _, seed := range []string{"", "a{{args.x}}b", "{{ args.items[0].id }}", "{{", "}}{{}}", "{{secret.a.b}}", "{{args.x[99999999999]}}", "{{{{args.x}}}}"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := ParseTemplate(src)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset >= len(src) || src[pe.Offset:pe.Offset+2] != "{{" {
				t.Fatalf("ParseTemplate(%q) error %v: want a *ParseError at a {{", src, err)
			}
			return
		}
		var lits strings.Builder
		n := 0
		for _, p := range tmpl.parts {
			if p.isPh {
				n++
				continue
			}
			if strings.Contains(p.lit, "{{") {
				t.Fatalf("literal %q holds {{", p.lit)
			}
			lits.WriteString(p.lit)
		}
		if n != len(tmpl.Placeholders()) {
			t.Fatalf("%d placeholder parts, %d placeholders", n, len(tmpl.Placeholders()))
		}
		for _, ph := range tmpl.Placeholders() {
			if !strings.Contains(src, ph.Raw) || len(ph.Path) == 0 {
				t.Fatalf("placeholder %+v not in %q", ph, src)
			}
		}
		if _, err := tmpl.Execute(&Scope{}); (err != nil) != (n > 0) {
			t.Fatalf("Execute with an empty scope: err = %v with %d placeholders", err, n)
		}
	})
}

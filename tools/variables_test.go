package tools

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// flowOptions parses templates as conversation flows do.
var flowOptions = ParseOptions{AllowRoots: []string{RootVariables}}

func TestVariablesRootParse(t *testing.T) {
	const src = "/orders/{{ variables.profile.orders[0].id }}"
	// Tools: an unknown root, with exactly the message of any other.
	_, err := ParseTemplate(src)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Offset != 8 {
		t.Fatalf("ParseTemplate(%q) error = %v, want a *ParseError at offset 8", src, err)
	}
	if want := `unknown root "variables"; a placeholder starts with args., context., conn. or secret.`; pe.Reason != want {
		t.Errorf("Reason = %q, want %q", pe.Reason, want)
	}
	// Other names in AllowRoots widen nothing.
	if _, err := ParseTemplateWith(src, ParseOptions{AllowRoots: []string{"vars", "foo"}}); !errors.As(err, &pe) {
		t.Errorf("ParseTemplateWith(unrelated roots) error = %v, want a *ParseError", err)
	}

	tmpl, err := ParseTemplateWith(src, flowOptions)
	if err != nil {
		t.Fatalf("ParseTemplateWith(%q) = %v", src, err)
	}
	want := []Placeholder{{Root: RootVariables, Raw: "variables.profile.orders[0].id",
		Path: []PathElem{{Key: "profile"}, {Key: "orders"}, {Index: 0, IsIndex: true}, {Key: "id"}}}}
	if diff := cmp.Diff(want, tmpl.Placeholders()); diff != "" {
		t.Errorf("Placeholders() mismatch (-want +got):\n%s", diff)
	}

	// Where variables are allowed, the unknown-root message lists them.
	_, err = ParseTemplateWith("{{vars.x}}", flowOptions)
	if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "args., context., conn., secret. or variables.") {
		t.Errorf("unknown root with variables allowed: %v, want the five roots listed", err)
	}
	if _, err := ParseTemplateWith("{{variables}}", flowOptions); err == nil || !strings.Contains(err.Error(), "variables needs a name") {
		t.Errorf("{{variables}}: error = %v, want a name required", err)
	}

	// Execute renders variables as text.
	msg, err := ParseTemplateWith("Your order is {{variables.order.status}}, arriving {{variables.order.eta}}.", flowOptions)
	if err != nil {
		t.Fatal(err)
	}
	got, err := msg.Execute(&Scope{Variables: map[string]any{"order": map[string]any{"status": "delayed", "eta": "Monday"}}})
	if want := "Your order is delayed, arriving Monday."; err != nil || got != want {
		t.Errorf("Execute = %q, %v; want %q", got, err, want)
	}
}

// TestToolsRefuseVariables: a tool definition naming {{variables.x}} is
// refused where it was before the root existed, with the same error.
func TestToolsRefuseVariables(t *testing.T) {
	tests := []struct {
		name      string
		def       Definition
		wantField string
	}{
		{"path", Definition{Path: "/o/{{variables.id}}"}, "path"},
		{"url", Definition{URL: "https://h.example/o/{{variables.id}}"}, "url"},
		{"header", Definition{Path: "/o", Headers: map[string]string{"X-Id": "{{variables.id}}"}}, "headers.X-Id"},
		{"query", Definition{Path: "/o", Query: map[string]string{"id": "{{variables.id}}"}}, "query.id"},
		{"body", Definition{Method: "POST", Path: "/o", Body: json.RawMessage(`{"a":{"id":"{{variables.id}}"}}`)}, "body.a.id"},
	}
	const reason = `unknown root "variables"; a placeholder starts with args., context., conn. or secret.`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRequestTemplate(&tt.def)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Field != tt.wantField || pe.Reason != reason {
				t.Fatalf("NewRequestTemplate error = %v, want a *ParseError at %s: %s", err, tt.wantField, reason)
			}
			def := tt.def
			def.Name, def.Description = "get_order", "Look up an order's status once the caller gave its id."
			if def.URL == "" {
				def.Connection = "backend"
			}
			def.InputSchema = json.RawMessage(`{"type":"object"}`)
			rep := Validate(&def, &Connection{Name: "backend"})
			want := []FieldError{{Path: tt.wantField, Message: pe.Error()}}
			if diff := cmp.Diff(want, rep.Errors); diff != "" || rep.Valid {
				t.Errorf("Validate errors mismatch (-want +got):\n%s", diff)
			}
			if _, err := NewRequestTemplateWith(&tt.def, flowOptions); err != nil {
				t.Errorf("NewRequestTemplateWith(flows) = %v", err)
			}
		})
	}
}

func TestRenderVariables(t *testing.T) {
	post := func(body string) Definition {
		return Definition{Method: "POST", Path: "/tickets", Body: json.RawMessage(body)}
	}
	vars := map[string]any{
		"order_id": "AB/12",
		"order":    map[string]any{"status": "delayed", "eta": json.Number("3"), "lines": []any{map[string]any{"sku": "s-1"}}},
		"vip":      true,
		"note":     "a\r\nX-Injected: 1",
	}
	runRenderCases(t, []renderCase{
		{
			name:  "path segment, index and query",
			def:   Definition{Path: "/orders/{{variables.order_id}}/lines/{{variables.order.lines[0].sku}}", Query: map[string]string{"s": "{{variables.order.status}}&x"}},
			opts:  flowOptions,
			base:  base,
			scope: Scope{Variables: vars},
			want:  get("https://api.example.com/v1/orders/AB%2F12/lines/s-1?s=delayed%26x"),
		},
		{
			name:  "header value",
			def:   Definition{Path: "/x", Headers: map[string]string{"X-Status": "is {{variables.order.status}}"}},
			opts:  flowOptions,
			base:  base,
			scope: Scope{Variables: vars},
			want:  &RenderedRequest{Method: "GET", URL: "https://api.example.com/v1/x", Header: http.Header{"X-Status": {"is delayed"}}},
		},
		{
			name:    "CR/LF refused in a header",
			def:     Definition{Path: "/x", Headers: map[string]string{"X-Note": "{{variables.note}}"}},
			opts:    flowOptions,
			base:    base,
			scope:   Scope{Variables: vars},
			wantErr: &RenderError{Field: "headers.X-Note", Placeholder: "variables.note", Kind: KindInvalidArguments},
			wantMsg: "line break",
		},
		{
			name:  "body keeps JSON types",
			def:   post(`{"order":"{{variables.order}}","eta":"{{variables.order.eta}}","vip":"{{variables.vip}}","text":"Order {{variables.order_id}} is {{variables.order.status}}"}`),
			opts:  flowOptions,
			base:  base,
			scope: Scope{Variables: vars},
			want: &RenderedRequest{Method: "POST", URL: "https://api.example.com/v1/tickets", Header: http.Header{}, ContentType: "application/json",
				Body: []byte(`{"order":{"eta":3,"lines":[{"sku":"s-1"}],"status":"delayed"},"eta":3,"vip":true,"text":"Order AB/12 is delayed"}`)},
		},
		{
			name:    "a missing variable is never dropped",
			def:     post(`{"id":"{{variables.nope}}"}`),
			opts:    flowOptions,
			base:    base,
			scope:   Scope{Variables: vars},
			wantErr: &RenderError{Field: "body.id", Placeholder: "variables.nope", Kind: KindInvalidArguments},
			wantMsg: "variables.nope (in body.id): missing value",
		},
		{
			name:  "variables are not allowed in the host",
			def:   Definition{URL: "https://h.example/{{variables.order_id}}"},
			opts:  flowOptions,
			scope: Scope{Variables: vars},
			want:  get("https://h.example/AB%2F12"),
		},
	})
	_, err := NewRequestTemplateWith(&Definition{URL: "https://{{variables.host}}/x"}, flowOptions)
	if err == nil || !strings.Contains(err.Error(), "only conn.*") {
		t.Errorf("variables in the host: error = %v, want only conn.* allowed", err)
	}
}

package tools

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/redact"
	"github.com/toolgate/toolgate/schema"
)

func TestParseOptionalContext(t *testing.T) {
	tmpl, err := parseTemplate("{{ context.user.id? }}", allowOptional)
	if err != nil {
		t.Fatal(err)
	}
	want := []Placeholder{{Root: RootContext, Raw: "context.user.id", Path: []PathElem{{Key: "user"}, {Key: "id"}}, Optional: true}}
	if diff := cmp.Diff(want, tmpl.Placeholders()); diff != "" {
		t.Errorf("Placeholders() mismatch (-want +got):\n%s", diff)
	}
	if got, want := want[0].String(), "{{context.user.id?}}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := want[0].Name(), "user.id"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}

	tests := []struct {
		src       string
		wantInMsg string
	}{
		// Plain templates (messages, connection headers) have no field to
		// leave out.
		{"{{context.tenant?}}", "must be the whole value of a header, a query parameter or a body object field"},
		{"{{args.x?}}", "only a context placeholder can be optional"},
		{"{{conn.x?}}", "only a context placeholder can be optional"},
		{"{{secret.x?}}", "only a context placeholder can be optional"},
		{"{{context.x?.y}}", `unexpected '.' after "context.x?"`},
		{"{{context.x??}}", `unexpected '?' after "context.x?"`},
		{"{{context?}}", "context needs a name"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := ParseTemplate(tt.src)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset != 0 || !strings.Contains(pe.Reason, tt.wantInMsg) {
				t.Errorf("ParseTemplate(%q) error = %v, want a *ParseError at 0 containing %q", tt.src, err, tt.wantInMsg)
			}
		})
	}
}

func TestNewRequestTemplateOptionalContext(t *testing.T) {
	const whole = "must be the whole value of a header, a query parameter or a body object field"
	tests := []struct {
		name      string
		def       Definition
		wantField string // "" when the definition is accepted
		wantInMsg string
	}{
		{"whole header", Definition{Path: "/x", Headers: map[string]string{"X-Tenant": "{{context.tenant?}}"}}, "", ""},
		{"whole query value", Definition{Path: "/x", Query: map[string]string{"tenant": "{{ context.tenant? }}"}}, "", ""},
		{"body object field", Definition{Method: "POST", Path: "/x", Body: json.RawMessage(`{"a":{"t":"{{context.tenant?}}"}}`)}, "", ""},
		{"in the path", Definition{Path: "/t/{{context.tenant?}}"}, "path", whole},
		{"in the url", Definition{URL: "https://h.example/t/{{context.tenant?}}"}, "url", whole},
		{"inside header text", Definition{Path: "/x", Headers: map[string]string{"X-Tenant": "t-{{context.tenant?}}"}}, "headers.X-Tenant", whole},
		{"inside query text", Definition{Path: "/x", Query: map[string]string{"q": "{{context.a?}}{{context.b?}}"}}, "query.q", whole},
		{"inside body text", Definition{Method: "POST", Path: "/x", Body: json.RawMessage(`{"t":"for {{context.tenant?}}"}`)}, "body.t", whole},
		{"body array element", Definition{Method: "POST", Path: "/x", Body: json.RawMessage(`{"t":["{{context.tenant?}}"]}`)}, "body.t[0]", whole},
		{"whole body", Definition{Method: "POST", Path: "/x", Body: json.RawMessage(`"{{context.tenant?}}"`)}, "body", whole},
		{"optional argument", Definition{Path: "/x", Query: map[string]string{"q": "{{args.q?}}"}}, "query.q", "input_schema does not require it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRequestTemplate(&tt.def)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("NewRequestTemplate = %v", err)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Field != tt.wantField || !strings.Contains(pe.Reason, tt.wantInMsg) {
				t.Fatalf("NewRequestTemplate error = %v, want a *ParseError at %s containing %q", err, tt.wantField, tt.wantInMsg)
			}
			if !strings.HasPrefix(err.Error(), tt.wantField+": template {{") {
				t.Errorf("error %q does not name the field and the placeholder", err)
			}
		})
	}
}

func TestRenderOptionalContext(t *testing.T) {
	def := Definition{Method: "POST", Path: "/x",
		Headers: map[string]string{"X-Tenant": "{{context.tenant?}}", "X-Channel": "{{context.channel}}"},
		Query:   map[string]string{"region": "{{context.region?}}"},
		Body:    json.RawMessage(`{"user":"{{context.user.id?}}","n":"{{args.n}}","list":["{{args.n}}"]}`)}
	req := func(url string, header http.Header, body string) *RenderedRequest {
		return &RenderedRequest{Method: "POST", URL: url, Header: header, Body: []byte(body), ContentType: "application/json"}
	}
	args := map[string]any{"n": 1.0}
	runRenderCases(t, []renderCase{
		{
			name:  "present",
			def:   def,
			base:  base,
			scope: Scope{Args: args, Context: map[string]any{"tenant": "t1", "channel": "voice", "region": "eu", "user": map[string]any{"id": 7.0}}},
			want:  req("https://api.example.com/v1/x?region=eu", http.Header{"X-Tenant": {"t1"}, "X-Channel": {"voice"}}, `{"user":7,"n":1,"list":[1]}`),
		},
		{
			name:  "absent: header, query parameter and body field left out",
			def:   def,
			base:  base,
			scope: Scope{Args: args, Context: map[string]any{"channel": "voice", "user": map[string]any{}}},
			want:  req("https://api.example.com/v1/x", http.Header{"X-Channel": {"voice"}}, `{"n":1,"list":[1]}`),
		},
		{
			name:  "absent: the base URL's parameter is kept",
			def:   def,
			base:  "https://api.example.com/v1?region=us",
			scope: Scope{Args: args, Context: map[string]any{"channel": "voice"}},
			want:  req("https://api.example.com/v1/x?region=us", http.Header{"X-Channel": {"voice"}}, `{"n":1,"list":[1]}`),
		},
		{
			name:    "a required context value is still required",
			def:     def,
			base:    base,
			scope:   Scope{Args: args, Context: map[string]any{"tenant": "t1"}},
			wantErr: &RenderError{Field: "headers.X-Channel", Placeholder: "context.channel", Kind: KindContext},
			wantMsg: "the platform calling toolgate must send it",
		},
		{
			name:    "a present optional value is still checked",
			def:     def,
			base:    base,
			scope:   Scope{Args: args, Context: map[string]any{"tenant": "t1\r\nX-Evil: 1", "channel": "voice"}},
			wantErr: &RenderError{Field: "headers.X-Tenant", Placeholder: "context.tenant", Kind: KindContext},
			wantMsg: "line break",
		},
	})
}

// TestEngineContext: an absent optional context value leaves its field out
// of the request; an absent required one is refused with a message for the
// platform, not the model.
func TestEngineContext(t *testing.T) {
	def := &Definition{Name: "get_order", Description: "Look up an order once the caller gave its id.",
		Connection: "backend", Path: "/orders",
		Headers:     map[string]string{"X-Tenant": "{{context.tenant}}", "X-Region": "{{context.region?}}"},
		InputSchema: json.RawMessage(`{"type":"object"}`)}
	p, err := Prepare("tool_1", 1, def)
	if err != nil {
		t.Fatal(err)
	}
	conn := &Connection{ID: "conn_1", Name: "backend", BaseURL: "https://api.example.com", Config: map[string]any{}, redactor: redact.New()}
	e := NewEngine(EngineConfig{})
	run := func(ctxValues map[string]any) *Result {
		return e.DryRun(context.Background(), &Call{WorkspaceID: "ws_1", AgentID: "agent_1", Tool: p, Conn: conn,
			Context: ctxValues})
	}

	res := run(map[string]any{"tenant": "acme"})
	if res.Outcome != "dry_run" || res.Request == nil {
		t.Fatalf("outcome %q, error %+v; want a dry run", res.Outcome, res.Error)
	}
	if got := res.Request.Headers["X-Tenant"]; !cmp.Equal(got, []string{"acme"}) {
		t.Errorf("X-Tenant = %q, want [acme]", got)
	}
	if got, ok := res.Request.Headers["X-Region"]; ok {
		t.Errorf("X-Region = %q, want it left out", got)
	}
	if res := run(map[string]any{"tenant": "acme", "region": "eu"}); !cmp.Equal(res.Request.Headers["X-Region"], []string{"eu"}) {
		t.Errorf("X-Region = %q, want [eu]", res.Request.Headers["X-Region"])
	}

	res = run(map[string]any{"region": "eu"})
	want := &CallError{
		Type:    OutcomeInvalidArguments,
		Message: "Cannot call get_order: context.tenant: missing value; the platform calling toolgate must send it in the call context (the model cannot supply it).",
		Details: []schema.Issue{{Path: "context.tenant", Message: "missing value; the platform calling toolgate must send it in the call context (the model cannot supply it)"}},
		Missing: []string{},
		Hint:    "context.tenant is call context, which the platform calling toolgate sends, not an argument: neither you nor the caller can supply it. Do not retry get_order and do not ask the caller for it; tell the caller this cannot be done right now.",
	}
	if res.Outcome != OutcomeInvalidArguments {
		t.Errorf("outcome = %q, want invalid_arguments", res.Outcome)
	}
	if diff := cmp.Diff(want, res.Error); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
}

// TestValidateCredentialHeaderFromContext: a credential header cannot come
// from the caller's context, optional or not.
func TestValidateCredentialHeaderFromContext(t *testing.T) {
	tests := []struct{ value, placeholder string }{
		{"Bearer {{context.token}}", "{{context.token}}"},
		{"{{context.token}}", "{{context.token}}"},
		{"{{context.token?}}", "{{context.token?}}"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			def := &Definition{Name: "get_order", Description: "Look up an order's status once the caller gave its id.",
				Connection: "backend", Path: "/orders", Headers: map[string]string{"authorization": tt.value},
				InputSchema: json.RawMessage(`{"type":"object"}`)}
			rep := Validate(def, &Connection{Name: "backend"})
			want := []FieldError{{Path: "headers.authorization", Message: "a credential header cannot come from the caller's " + tt.placeholder}}
			if diff := cmp.Diff(want, rep.Errors); diff != "" || rep.Valid {
				t.Errorf("Validate errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

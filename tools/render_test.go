package tools

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// renderCase is one definition rendered with one scope, and exactly what must
// come out: the request, or an error.
type renderCase struct {
	name  string
	def   Definition
	opts  ParseOptions // how def is parsed; the zero value is a tool's
	base  string
	scope Scope
	want  *RenderedRequest
	// wantErr compares Field, Placeholder and Kind; wantMsg must be in the
	// message.
	wantErr *RenderError
	wantMsg string
}

func runRenderCases(t *testing.T, tests []renderCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := NewRequestTemplateWith(&tt.def, tt.opts)
			if err != nil {
				t.Fatalf("NewRequestTemplateWith: %v", err)
			}
			got, err := rt.Render(tt.base, &tt.scope)
			if tt.wantErr != nil {
				var re *RenderError
				if !errors.As(err, &re) {
					t.Fatalf("Render error = %v (request %+v), want *RenderError", err, got)
				}
				gotErr := &RenderError{Field: re.Field, Placeholder: re.Placeholder, Kind: re.Kind}
				if diff := cmp.Diff(tt.wantErr, gotErr); diff != "" {
					t.Errorf("RenderError mismatch (-want +got):\n%s", diff)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q does not contain %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rendered request mismatch (-want +got):\n%s", diff)
			}
			if _, err := url.Parse(got.URL); err != nil {
				t.Errorf("rendered URL %q does not parse: %v", got.URL, err)
			}
			if got.Body != nil && !json.Valid(got.Body) {
				t.Errorf("rendered body is not JSON: %s", got.Body)
			}
		})
	}
}

func get(u string) *RenderedRequest {
	return &RenderedRequest{Method: "GET", URL: u, Header: http.Header{}}
}

const base = "https://api.example.com/v1/"

func orderPath(id any) renderCase {
	return renderCase{
		def:   Definition{Path: "/orders/{{args.order_id}}/items"},
		base:  base,
		scope: Scope{Args: map[string]any{"order_id": id}},
	}
}

func TestRenderPath(t *testing.T) {
	ok := func(name string, id any, want string) renderCase {
		c := orderPath(id)
		c.name, c.want = name, get(want)
		return c
	}
	refused := func(name string, id any, msg string) renderCase {
		c := orderPath(id)
		c.name, c.wantMsg = name, msg
		c.wantErr = &RenderError{Field: "path", Placeholder: "args.order_id", Kind: KindInvalidArguments}
		return c
	}
	runRenderCases(t, []renderCase{
		ok("plain", "A-42", "https://api.example.com/v1/orders/A-42/items"),
		ok("dot dot slash", "../admin", "https://api.example.com/v1/orders/..%2Fadmin/items"),
		ok("slash", "a/b", "https://api.example.com/v1/orders/a%2Fb/items"),
		ok("hash", "x#y", "https://api.example.com/v1/orders/x%23y/items"),
		ok("question mark", "x?y=1", "https://api.example.com/v1/orders/x%3Fy=1/items"),
		ok("encoded dots stay text", "%2e%2e", "https://api.example.com/v1/orders/%252e%252e/items"),
		ok("semicolon and space", "a;b c", "https://api.example.com/v1/orders/a%3Bb%20c/items"),
		ok("backslash", `..\admin`, "https://api.example.com/v1/orders/..%5Cadmin/items"),
		ok("three dots", "...", "https://api.example.com/v1/orders/.../items"),
		ok("unicode", "café", "https://api.example.com/v1/orders/caf%C3%A9/items"),
		ok("number", 42.0, "https://api.example.com/v1/orders/42/items"),
		ok("json number", json.Number("1234567890123"), "https://api.example.com/v1/orders/1234567890123/items"),
		refused("dot", ".", `argument order_id: value "." is not allowed in a URL path`),
		refused("dot dot", "..", `argument order_id: value ".." is not allowed in a URL path`),
		refused("empty", "", "argument order_id: an empty value is not allowed in a URL path"),
		refused("missing", nil, "argument order_id: a value is required here"),
		{
			name:    "two values making a dot-dot segment",
			def:     Definition{Path: "/files/{{args.a}}{{args.b}}"},
			base:    base,
			scope:   Scope{Args: map[string]any{"a": ".", "b": "."}},
			wantErr: &RenderError{Field: "path", Placeholder: "args.a", Kind: KindInvalidArguments},
			wantMsg: `value ".." is not allowed`,
		},
		{
			name:    "literal dot and a dot value",
			def:     Definition{Path: "/files/.{{args.a}}"},
			base:    base,
			scope:   Scope{Args: map[string]any{"a": "."}},
			wantErr: &RenderError{Field: "path", Placeholder: "args.a", Kind: KindInvalidArguments},
			wantMsg: `value ".." is not allowed`,
		},
		{
			name:  "dot inside a longer segment is fine",
			def:   Definition{Path: "/files/{{args.a}}.json"},
			base:  base,
			scope: Scope{Args: map[string]any{"a": "."}},
			want:  get("https://api.example.com/v1/files/..json"),
		},
		{
			name:    "conn value dot-dot is a config error",
			def:     Definition{Path: "/{{conn.tenant}}/x"},
			base:    base,
			scope:   Scope{Conn: map[string]any{"tenant": ".."}},
			wantErr: &RenderError{Field: "path", Placeholder: "conn.tenant", Kind: KindConfig},
			wantMsg: `conn.tenant (in path): value ".." is not allowed`,
		},
		{
			name:    "missing context",
			def:     Definition{Path: "/t/{{context.tenant}}"},
			base:    base,
			wantErr: &RenderError{Field: "path", Placeholder: "context.tenant", Kind: KindContext},
			wantMsg: "context.tenant (in path): missing value",
		},
		{
			name:  "object value is JSON in one segment",
			def:   Definition{Path: "/q/{{args.f}}"},
			base:  base,
			scope: Scope{Args: map[string]any{"f": map[string]any{"a": "b/c"}}},
			want:  get("https://api.example.com/v1/q/%7B%22a%22:%22b%2Fc%22%7D"),
		},
		{
			name:  "nested and indexed args",
			def:   Definition{Path: "/cities/{{args.address.city}}/items/{{args.items[1].id}}"},
			base:  base,
			scope: Scope{Args: map[string]any{"address": map[string]any{"city": "São Paulo"}, "items": []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}}}},
			want:  get("https://api.example.com/v1/cities/S%C3%A3o%20Paulo/items/b"),
		},
	})
}

func TestRenderBaseURL(t *testing.T) {
	c := func(name, base, path, want string) renderCase {
		return renderCase{name: name, def: Definition{Path: path}, base: base,
			scope: Scope{Args: map[string]any{"id": "7"}}, want: get(want)}
	}
	runRenderCases(t, []renderCase{
		c("host only, leading slash", "https://h.example", "/x/{{args.id}}", "https://h.example/x/7"),
		c("host slash, leading slash", "https://h.example/", "/x/{{args.id}}", "https://h.example/x/7"),
		c("host slash, no leading slash", "https://h.example/", "x/{{args.id}}", "https://h.example/x/7"),
		c("host only, no leading slash", "https://h.example", "x/{{args.id}}", "https://h.example/x/7"),
		c("prefix, leading slash", "https://h.example/api/v2", "/x/{{args.id}}", "https://h.example/api/v2/x/7"),
		c("prefix slash, leading slash", "https://h.example/api/v2/", "/x/{{args.id}}", "https://h.example/api/v2/x/7"),
		c("prefix slash, no leading slash", "https://h.example/api/v2/", "x/{{args.id}}", "https://h.example/api/v2/x/7"),
		c("prefix, no leading slash", "https://h.example/api/v2", "x/{{args.id}}", "https://h.example/api/v2/x/7"),
		c("placeholder first", "https://h.example/api/", "{{args.id}}", "https://h.example/api/7"),
		c("trailing slash kept", "https://h.example/api", "/x/", "https://h.example/api/x/"),
		c("empty path keeps base", "https://h.example/api/", "", "https://h.example/api/"),
		c("escaped base path kept", "https://h.example/a%2Fb/", "/x", "https://h.example/a%2Fb/x"),
		c("port and userinfo", "http://u:p@h.example:8080/api", "/x", "http://u:p@h.example:8080/api/x"),
		c("base query kept", "https://h.example/api?key=abc", "/x/{{args.id}}", "https://h.example/api/x/7?key=abc"),
		c("path query after base query", "https://h.example/api?key=abc", "/x?mode=full&id={{args.id}}", "https://h.example/api/x?key=abc&mode=full&id=7"),
		c("path with only a query", "https://h.example/api", "?id={{args.id}}", "https://h.example/api?id=7"),
		c("admin percent-encoding kept", "https://h.example", "/a%20b/{{args.id}}", "https://h.example/a%20b/7"),
		{
			name:  "query template replaces the base parameter",
			def:   Definition{Path: "/x", Query: map[string]string{"api-version": "{{args.v}}"}},
			base:  "https://h.example/api?api-version=2023&key=abc",
			scope: Scope{Args: map[string]any{"v": "2024"}},
			want:  get("https://h.example/api/x?key=abc&api-version=2024"),
		},
		{
			name: "dropped query template keeps the base parameter",
			def:  Definition{Path: "/x", Query: map[string]string{"api-version": "{{args.v}}"}},
			base: "https://h.example/api?api-version=2023&key=abc",
			want: get("https://h.example/api/x?api-version=2023&key=abc"),
		},
		{
			name:    "no base URL",
			def:     Definition{Path: "/x"},
			wantErr: &RenderError{Field: "base_url", Kind: KindConfig},
			wantMsg: "no base URL",
		},
		{
			name:    "relative base URL",
			def:     Definition{Path: "/x"},
			base:    "h.example/api",
			wantErr: &RenderError{Field: "base_url", Kind: KindConfig},
			wantMsg: "absolute http or https URL",
		},
		{
			name:    "non-http base URL",
			def:     Definition{Path: "/x"},
			base:    "file:///etc/passwd",
			wantErr: &RenderError{Field: "base_url", Kind: KindConfig},
		},
	})
}

func TestRenderURLMode(t *testing.T) {
	runRenderCases(t, []renderCase{
		{
			name:  "full URL with its own query, base ignored",
			def:   Definition{URL: "https://api.example.com/v2/items/{{args.id}}?fixed=1", Query: map[string]string{"q": "{{args.q}}"}},
			base:  "https://ignored.example",
			scope: Scope{Args: map[string]any{"id": "../x", "q": "a b"}},
			want:  get("https://api.example.com/v2/items/..%2Fx?fixed=1&q=a+b"),
		},
		{
			name: "fragment stays last",
			def:  Definition{URL: "https://api.example.com/x#top", Query: map[string]string{"q": "1"}},
			want: get("https://api.example.com/x?q=1#top"),
		},
		{
			name: "host without path",
			def:  Definition{URL: "https://api.example.com", Query: map[string]string{"q": "1"}},
			want: get("https://api.example.com?q=1"),
		},
		{
			name:  "conn base URL inserted as written",
			def:   Definition{URL: "{{conn.base_url}}/items/{{args.id}}"},
			scope: Scope{Conn: map[string]any{"base_url": "https://eu.example.com/api"}, Args: map[string]any{"id": "a/b"}},
			want:  get("https://eu.example.com/api/items/a%2Fb"),
		},
		{
			name:  "conn host",
			def:   Definition{URL: "https://{{conn.host}}:8443/items"},
			scope: Scope{Conn: map[string]any{"host": "eu.example.com"}},
			want:  get("https://eu.example.com:8443/items"),
		},
		{
			name:    "conn host missing",
			def:     Definition{URL: "https://{{conn.host}}/items"},
			wantErr: &RenderError{Field: "url", Placeholder: "conn.host", Kind: KindConfig},
			wantMsg: "conn.host (in url): missing value in the connection's config",
		},
		{
			name:    "conn base URL not a URL",
			def:     Definition{URL: "{{conn.base_url}}/items"},
			scope:   Scope{Conn: map[string]any{"base_url": "not a url"}},
			wantErr: &RenderError{Field: "url", Kind: KindConfig},
			wantMsg: "absolute http or https URL",
		},
	})
}

func TestRenderQuery(t *testing.T) {
	def := Definition{Path: "/search", Query: map[string]string{
		"q":       "{{args.q}}",
		"limit":   "{{ args.limit }}",
		"verbose": "true",
		"filter":  "name:{{args.name}} & more",
	}}
	s := func(args map[string]any) Scope { return Scope{Args: args} }
	runRenderCases(t, []renderCase{
		{
			name:  "injection stays one value",
			def:   def,
			base:  base,
			scope: s(map[string]any{"q": "a&admin=true", "limit": 10.0, "name": "x#y"}),
			want:  get("https://api.example.com/v1/search?filter=name%3Ax%23y+%26+more&limit=10&q=a%26admin%3Dtrue&verbose=true"),
		},
		{
			name:  "optional args dropped",
			def:   def,
			base:  base,
			scope: s(map[string]any{"name": "n"}),
			want:  get("https://api.example.com/v1/search?filter=name%3An+%26+more&verbose=true"),
		},
		{
			name:  "empty string is a value",
			def:   def,
			base:  base,
			scope: s(map[string]any{"q": "", "name": "n"}),
			want:  get("https://api.example.com/v1/search?filter=name%3An+%26+more&q=&verbose=true"),
		},
		{
			name:    "missing arg inside literal text",
			def:     def,
			base:    base,
			scope:   s(map[string]any{"q": "x"}),
			wantErr: &RenderError{Field: "query.filter", Placeholder: "args.name", Kind: KindInvalidArguments},
			wantMsg: "argument name: a value is required here",
		},
		{
			name:    "missing context is never dropped",
			def:     Definition{Path: "/x", Query: map[string]string{"tenant": "{{context.tenant}}"}},
			base:    base,
			wantErr: &RenderError{Field: "query.tenant", Placeholder: "context.tenant", Kind: KindContext},
			wantMsg: "context.tenant (in query.tenant): missing value",
		},
		{
			name:  "conn and secret values",
			def:   Definition{Path: "/x", Query: map[string]string{"region": "{{conn.region}}", "key": "{{secret.api_key}}"}},
			base:  base,
			scope: Scope{Conn: map[string]any{"region": "eu-west"}, Secret: map[string]string{"api_key": "k&y=1"}},
			want:  get("https://api.example.com/v1/x?key=k%26y%3D1&region=eu-west"),
		},
		{
			name:    "missing secret",
			def:     Definition{Path: "/x", Query: map[string]string{"key": "{{secret.api_key}}"}},
			base:    base,
			wantErr: &RenderError{Field: "query.key", Placeholder: "secret.api_key", Kind: KindMissingSecret},
			wantMsg: "missing secret in the connection",
		},
		{
			name:  "array value is JSON",
			def:   Definition{Path: "/x", Query: map[string]string{"ids": "{{args.ids}}"}},
			base:  base,
			scope: s(map[string]any{"ids": []any{1.0, "a"}}),
			want:  get("https://api.example.com/v1/x?ids=%5B1%2C%22a%22%5D"),
		},
		{
			name: "parameter name escaped",
			def:  Definition{Path: "/x", Query: map[string]string{"a b&c": "1"}},
			base: base,
			want: get("https://api.example.com/v1/x?a+b%26c=1"),
		},
	})
}

func TestRenderHeaders(t *testing.T) {
	def := Definition{Path: "/x", Headers: map[string]string{
		"x-note":        "{{args.note}}",
		"X-Tenant":      "{{context.tenant}}",
		"Authorization": "Bearer {{secret.token}}",
		"X-Region":      "{{conn.region}}",
	}}
	full := Scope{
		Args:    map[string]any{"note": "hello"},
		Context: map[string]any{"tenant": "t1"},
		Conn:    map[string]any{"region": "eu"},
		Secret:  map[string]string{"token": "s3cr3t"},
	}
	with := func(f func(*Scope)) Scope {
		s := full
		s.Args, s.Context, s.Conn, s.Secret = clone(full.Args), clone(full.Context), clone(full.Conn), clone(full.Secret)
		f(&s)
		return s
	}
	runRenderCases(t, []renderCase{
		{
			name:  "all present",
			def:   def,
			base:  base,
			scope: full,
			want: &RenderedRequest{Method: "GET", URL: "https://api.example.com/v1/x", Header: http.Header{
				"X-Note": {"hello"}, "X-Tenant": {"t1"}, "Authorization": {"Bearer s3cr3t"}, "X-Region": {"eu"},
			}},
		},
		{
			name:  "optional arg header dropped",
			def:   def,
			base:  base,
			scope: with(func(s *Scope) { delete(s.Args, "note") }),
			want: &RenderedRequest{Method: "GET", URL: "https://api.example.com/v1/x", Header: http.Header{
				"X-Tenant": {"t1"}, "Authorization": {"Bearer s3cr3t"}, "X-Region": {"eu"},
			}},
		},
		{
			name:    "CRLF from args refused",
			def:     def,
			base:    base,
			scope:   with(func(s *Scope) { s.Args["note"] = "a\r\nX-Injected: 1" }),
			wantErr: &RenderError{Field: "headers.x-note", Placeholder: "args.note", Kind: KindInvalidArguments},
			wantMsg: "argument note: value contains a line break",
		},
		{
			name:    "LF alone refused",
			def:     def,
			base:    base,
			scope:   with(func(s *Scope) { s.Args["note"] = "a\nb" }),
			wantErr: &RenderError{Field: "headers.x-note", Placeholder: "args.note", Kind: KindInvalidArguments},
		},
		{
			name:    "NUL refused",
			def:     def,
			base:    base,
			scope:   with(func(s *Scope) { s.Args["note"] = "a\x00b" }),
			wantErr: &RenderError{Field: "headers.x-note", Placeholder: "args.note", Kind: KindInvalidArguments},
		},
		{
			name:    "CR from context refused",
			def:     def,
			base:    base,
			scope:   with(func(s *Scope) { s.Context["tenant"] = "t\r" }),
			wantErr: &RenderError{Field: "headers.X-Tenant", Placeholder: "context.tenant", Kind: KindContext},
		},
		{
			name:    "LF from secret is a config error",
			def:     def,
			base:    base,
			scope:   with(func(s *Scope) { s.Secret["token"] = "abc\n" }),
			wantErr: &RenderError{Field: "headers.Authorization", Placeholder: "secret.token", Kind: KindConfig},
		},
		{
			name:    "missing context",
			def:     def,
			base:    base,
			scope:   with(func(s *Scope) { delete(s.Context, "tenant") }),
			wantErr: &RenderError{Field: "headers.X-Tenant", Placeholder: "context.tenant", Kind: KindContext},
			wantMsg: "context.tenant",
		},
		{
			name:    "missing secret",
			def:     def,
			base:    base,
			scope:   with(func(s *Scope) { s.Secret = nil }),
			wantErr: &RenderError{Field: "headers.Authorization", Placeholder: "secret.token", Kind: KindMissingSecret},
		},
		{
			name:  "tab allowed",
			def:   Definition{Path: "/x", Headers: map[string]string{"X-A": "{{args.a}}"}},
			base:  base,
			scope: Scope{Args: map[string]any{"a": "a\tb"}},
			want:  &RenderedRequest{Method: "GET", URL: "https://api.example.com/v1/x", Header: http.Header{"X-A": {"a\tb"}}},
		},
	})
}

func clone[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestRenderBody(t *testing.T) {
	post := func(body string) Definition {
		return Definition{Method: "POST", Path: "/orders", Body: json.RawMessage(body)}
	}
	postReq := func(body string) *RenderedRequest {
		return &RenderedRequest{Method: "POST", URL: "https://api.example.com/v1/orders", Header: http.Header{}, Body: []byte(body), ContentType: "application/json"}
	}
	args := map[string]any{
		"id":      "A-1",
		"qty":     json.Number("3"),
		"price":   12.5,
		"gift":    true,
		"address": map[string]any{"city": "Nairobi", "zip": "00100"},
		"tags":    []any{"a", 2.0},
		"note":    "say \"hi\"\n",
	}
	runRenderCases(t, []renderCase{
		{
			name: "types kept for single placeholders",
			def: post(`{"id":"{{args.id}}","qty":"{{args.qty}}","price":"{{ args.price }}","gift":"{{args.gift}}",
				"address":"{{args.address}}","tags":"{{args.tags}}","note":"{{args.note}}"}`),
			base:  base,
			scope: Scope{Args: args},
			want: postReq(`{"id":"A-1","qty":3,"price":12.5,"gift":true,"address":{"city":"Nairobi","zip":"00100"},` +
				`"tags":["a",2],"note":"say \"hi\"\n"}`),
		},
		{
			name:  "interpolated strings",
			def:   post(`{"label":"Order {{args.id}} x{{args.qty}} gift={{args.gift}} to {{args.address.city}}","t":"{{args.tags}}!"}`),
			base:  base,
			scope: Scope{Args: args},
			want:  postReq(`{"label":"Order A-1 x3 gift=true to Nairobi","t":"[\"a\",2]!"}`),
		},
		{
			name:  "literals, nesting and key order kept",
			def:   post(`{"z":1,"customer":{"name":"{{args.id}}","vip":false,"n":null},"a":[1,"{{args.qty}}",{"k":"{{args.gift}}"}],"s":"{not a template}"}`),
			base:  base,
			scope: Scope{Args: args},
			want:  postReq(`{"z":1,"customer":{"name":"A-1","vip":false,"n":null},"a":[1,3,{"k":true}],"s":"{not a template}"}`),
		},
		{
			name:  "optional fields dropped",
			def:   post(`{"a":"{{args.missing}}","id":"{{args.id}}","b":"{{args.missing2}}","c":{"d":"{{args.nope}}"}}`),
			base:  base,
			scope: Scope{Args: args},
			want:  postReq(`{"id":"A-1","c":{}}`),
		},
		{
			name:    "missing arg inside text is an error",
			def:     post(`{"label":"Order {{args.missing}}"}`),
			base:    base,
			scope:   Scope{Args: args},
			wantErr: &RenderError{Field: "body.label", Placeholder: "args.missing", Kind: KindInvalidArguments},
		},
		{
			name:    "missing arg as array element is an error",
			def:     post(`{"items":["{{args.id}}","{{args.missing}}"]}`),
			base:    base,
			scope:   Scope{Args: args},
			wantErr: &RenderError{Field: "body.items[1]", Placeholder: "args.missing", Kind: KindInvalidArguments},
		},
		{
			name:    "missing context in body",
			def:     post(`{"customer":{"tenant":"{{context.tenant}}"}}`),
			base:    base,
			scope:   Scope{Args: args},
			wantErr: &RenderError{Field: "body.customer.tenant", Placeholder: "context.tenant", Kind: KindContext},
			wantMsg: "context.tenant (in body.customer.tenant): missing value",
		},
		{
			name:  "conn and secret values",
			def:   post(`{"account":"{{conn.account}}","key":"{{secret.key}}","retries":"{{conn.retries}}"}`),
			base:  base,
			scope: Scope{Conn: map[string]any{"account": "acme", "retries": 3.0}, Secret: map[string]string{"key": "k\"1"}},
			want:  postReq(`{"account":"acme","key":"k\"1","retries":3}`),
		},
		{
			name:    "missing conn value",
			def:     post(`{"account":"{{conn.account}}"}`),
			base:    base,
			wantErr: &RenderError{Field: "body.account", Placeholder: "conn.account", Kind: KindConfig},
		},
		{
			name:  "whole body one placeholder",
			def:   post(`"{{args.address}}"`),
			base:  base,
			scope: Scope{Args: args},
			want:  postReq(`{"city":"Nairobi","zip":"00100"}`),
		},
		{
			name:  "no template sends the arguments",
			def:   Definition{Method: "PUT", Path: "/orders"},
			base:  base,
			scope: Scope{Args: map[string]any{"b": 1.0, "a": "x"}},
			want:  &RenderedRequest{Method: "PUT", URL: "https://api.example.com/v1/orders", Header: http.Header{}, Body: []byte(`{"a":"x","b":1}`), ContentType: "application/json"},
		},
		{
			name: "no template and no arguments",
			def:  Definition{Method: "patch", Path: "/orders"},
			base: base,
			want: &RenderedRequest{Method: "PATCH", URL: "https://api.example.com/v1/orders", Header: http.Header{}, Body: []byte(`{}`), ContentType: "application/json"},
		},
		{
			name:  "GET sends no body",
			def:   Definition{Method: "GET", Path: "/orders", Body: json.RawMessage(`{"id":"{{args.missing}}"}`)},
			base:  base,
			scope: Scope{Args: args},
			want:  get("https://api.example.com/v1/orders"),
		},
		{
			name:  "DELETE sends no body",
			def:   Definition{Method: "DELETE", Path: "/orders/{{args.id}}"},
			base:  base,
			scope: Scope{Args: args},
			want:  &RenderedRequest{Method: "DELETE", URL: "https://api.example.com/v1/orders/A-1", Header: http.Header{}},
		},
		{
			name:  "Content-Type header template wins",
			def:   Definition{Method: "POST", Path: "/orders", Headers: map[string]string{"content-type": "application/vnd.api+json"}},
			base:  base,
			scope: Scope{Args: map[string]any{}},
			want:  &RenderedRequest{Method: "POST", URL: "https://api.example.com/v1/orders", Header: http.Header{}, Body: []byte(`{}`), ContentType: "application/vnd.api+json"},
		},
		{
			name:  "unicode and control characters encoded",
			def:   post(`{"t":"<{{args.s}}>"}`),
			base:  base,
			scope: Scope{Args: map[string]any{"s": "\u2028\x01é\xff"}},
			want:  postReq(`{"t":"<\u2028\u0001é\ufffd>"}`),
		},
	})
}

func TestNewRequestTemplateErrors(t *testing.T) {
	tests := []struct {
		name      string
		def       Definition
		wantField string
		wantInMsg string
	}{
		{"unknown root in path", Definition{Path: "/x/{{foo.x}}"}, "path", `unknown root "foo"`},
		{"bad header template", Definition{Path: "/x", Headers: map[string]string{"X-Tenant": "{{args.}}"}}, "headers.X-Tenant", "property name"},
		{"bad query template", Definition{Path: "/x", Query: map[string]string{"verbose": "{{ nope }}"}}, "query.verbose", `unknown root "nope"`},
		{"bad body template", Definition{Method: "POST", Path: "/x", Body: json.RawMessage(`{"customer":{"name":"{{args.x"}}`)}, "body.customer.name", "unclosed {{"},
		{"bad body JSON", Definition{Method: "POST", Path: "/x", Body: json.RawMessage(`{"a":}`)}, "body.a", "not valid JSON"},
		{"trailing body JSON", Definition{Method: "POST", Path: "/x", Body: json.RawMessage(`{} {}`)}, "body", "single JSON value"},
		{"url and path", Definition{URL: "https://h.example/x", Path: "/x"}, "url", "exclusive"},
		{"relative url", Definition{URL: "h.example/x"}, "url", "absolute http or https URL"},
		{"ftp url", Definition{URL: "ftp://h.example/x"}, "url", "absolute http or https URL"},
		{"args in host", Definition{URL: "https://{{args.host}}/x"}, "url", "only conn.*"},
		{"secret in host", Definition{URL: "https://{{secret.host}}/x"}, "url", "only conn.*"},
		{"bad literal url", Definition{URL: "https://h.example:port/x"}, "url", "does not parse"},
		{"bad literal path", Definition{Path: "/x%zz"}, "path", "does not parse"},
		{"header CRLF literal", Definition{Path: "/x", Headers: map[string]string{"X-A": "a\r\nB: c"}}, "headers.X-A", "control character"},
		{"bad header name", Definition{Path: "/x", Headers: map[string]string{"X A": "a"}}, "headers.X A", "header name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRequestTemplate(&tt.def)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("NewRequestTemplate error = %v, want *ParseError", err)
			}
			if pe.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", pe.Field, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) || !strings.HasPrefix(err.Error(), tt.wantField+": ") {
				t.Errorf("error %q: want prefix %q and %q", err, tt.wantField+": ", tt.wantInMsg)
			}
		})
	}
}

func TestRequestTemplatePlaceholders(t *testing.T) {
	rt, err := NewRequestTemplate(&Definition{
		Method:  "POST",
		Path:    "/o/{{args.id}}",
		Headers: map[string]string{"X-B": "{{context.b}}", "X-A": "{{conn.a}}"},
		Query:   map[string]string{"q": "{{args.q}}"},
		Body:    json.RawMessage(`{"n":"{{args.customer.name}}","l":["{{secret.k}}"]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rt.Placeholders() {
		got = append(got, p.Raw)
	}
	want := []string{"args.id", "conn.a", "context.b", "args.q", "args.customer.name", "secret.k"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Placeholders mismatch (-want +got):\n%s", diff)
	}
	if rt.BodyIsArguments() {
		t.Error("BodyIsArguments() = true with a body template")
	}
	rt2, _ := NewRequestTemplate(&Definition{Method: "POST", Path: "/o"})
	if !rt2.BodyIsArguments() {
		t.Error("BodyIsArguments() = false for POST without body template")
	}
}

func TestRenderConcurrentBaseURLs(t *testing.T) {
	rt, err := NewRequestTemplate(&Definition{Path: "/x/{{args.id}}"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for i := range 8 {
		go func() {
			b := []string{"https://a.example/p", "https://b.example/q/"}[i%2]
			want := []string{"https://a.example/p/x/1", "https://b.example/q/x/1"}[i%2]
			for range 200 {
				got, err := rt.Render(b, &Scope{Args: map[string]any{"id": "1"}})
				if err != nil || got.URL != want {
					done <- errors.New("got " + got.URL + ", want " + want)
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestEscapingMatchesStdlib: a value in a path segment is escaped exactly as
// url.PathEscape does, and a query value exactly as url.QueryEscape does,
// for every byte.
func TestEscapingMatchesStdlib(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	v := string(all)
	rt, err := NewRequestTemplate(&Definition{Path: "/x/{{args.v}}#{{args.v}}", Query: map[string]string{"q": "{{args.v}}"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := rt.Render("https://h.example", &Scope{Args: map[string]any{"v": v}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://h.example/x/" + url.PathEscape(v) + "?q=" + url.QueryEscape(v) + "#" + url.PathEscape(v); got.URL != want {
		t.Errorf("escaping differs from url.PathEscape / url.QueryEscape:\n got %q\nwant %q", got.URL, want)
	}
}

// FuzzRenderPath renders an arbitrary argument into one path segment and
// checks that it stays exactly that segment: same host, same number of
// segments, no query or fragment, and the segment decodes to the value.
func FuzzRenderPath(f *testing.F) {
	for _, seed := range []string{"42", "../admin", "a/b", "x#y", "x?y=1", ".", "..", "%2e%2e", "", "a;b", "é", "\x00\r\n", "//evil.example", "@evil", "\\..\\"} {
		f.Add(seed)
	}
	rt, err := NewRequestTemplate(&Definition{Path: "/orders/{{args.id}}/items"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		req, err := rt.Render("https://api.example.com/base/", &Scope{Args: map[string]any{"id": v}})
		if v == "" || v == "." || v == ".." {
			var re *RenderError
			if !errors.As(err, &re) || re.Kind != KindInvalidArguments || re.Placeholder != "args.id" {
				t.Fatalf("value %q: err = %v, want an invalid_arguments RenderError", v, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("value %q: %v", v, err)
		}
		u, err := url.Parse(req.URL)
		if err != nil {
			t.Fatalf("value %q: URL %q does not parse: %v", v, req.URL, err)
		}
		if u.Host != "api.example.com" || u.Scheme != "https" || u.User != nil {
			t.Fatalf("value %q: host changed: %q", v, req.URL)
		}
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(req.URL, "?#") {
			t.Fatalf("value %q: query or fragment added: %q", v, req.URL)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) != 5 || segs[1] != "base" || segs[2] != "orders" || segs[4] != "items" {
			t.Fatalf("value %q: segments %q, want [\"\" base orders <v> items]", v, segs)
		}
		got, err := url.PathUnescape(segs[3])
		if err != nil || got != v {
			t.Fatalf("value %q: segment %q decodes to %q (%v)", v, segs[3], got, err)
		}
		if segs[3] == "." || segs[3] == ".." {
			t.Fatalf("value %q: dot segment %q", v, segs[3])
		}
	})
}

// FuzzRenderQuery renders an arbitrary argument into a query parameter and
// checks that it round-trips as exactly that one parameter.
func FuzzRenderQuery(f *testing.F) {
	for _, seed := range []string{"a&admin=true", "x#y", "a b+c", "%zz", "", "=", "&&", ";", "é\xff", "\r\n"} {
		f.Add(seed)
	}
	rt, err := NewRequestTemplate(&Definition{Path: "/search", Query: map[string]string{"q": "{{args.q}}", "limit": "10"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		req, err := rt.Render("https://api.example.com/v1?key=abc", &Scope{Args: map[string]any{"q": v}})
		if err != nil {
			t.Fatalf("value %q: %v", v, err)
		}
		u, err := url.Parse(req.URL)
		if err != nil {
			t.Fatalf("value %q: URL %q does not parse: %v", v, req.URL, err)
		}
		if u.Host != "api.example.com" || u.Path != "/v1/search" || u.Fragment != "" {
			t.Fatalf("value %q: URL changed: %q", v, req.URL)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			t.Fatalf("value %q: query %q does not parse: %v", v, u.RawQuery, err)
		}
		want := url.Values{"key": {"abc"}, "limit": {"10"}, "q": {v}}
		if diff := cmp.Diff(want, q); diff != "" {
			t.Fatalf("value %q: query mismatch (-want +got):\n%s", v, diff)
		}
		if n := len(strings.Split(u.RawQuery, "&")); n != 3 {
			t.Fatalf("value %q: %d parameters in %q, want 3", v, n, u.RawQuery)
		}
		if !slices.Equal(q["q"], []string{v}) {
			t.Fatalf("value %q: q = %q", v, q["q"])
		}
	})
}

func BenchmarkRender(b *testing.B) {
	b.Run("GET", func(b *testing.B) {
		rt, err := NewRequestTemplate(&Definition{
			Path:    "/customers/{{args.customer_id}}/orders",
			Query:   map[string]string{"status": "{{args.status}}", "limit": "{{args.limit}}"},
			Headers: map[string]string{"X-Tenant": "{{context.tenant}}"},
		})
		if err != nil {
			b.Fatal(err)
		}
		s := &Scope{
			Args:    map[string]any{"customer_id": "cus_12345", "status": "open", "limit": 20.0},
			Context: map[string]any{"tenant": "acme"},
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.Render("https://api.example.com/v1", s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("POST", func(b *testing.B) {
		rt, err := NewRequestTemplate(&Definition{
			Method: "POST",
			Path:   "/orders",
			Body: json.RawMessage(`{"customer_id":"{{args.customer_id}}","quantity":"{{args.quantity}}",` +
				`"gift":"{{args.gift}}","note":"Order for {{context.user_id}}","address":{"city":"{{args.address.city}}"}}`),
		})
		if err != nil {
			b.Fatal(err)
		}
		s := &Scope{
			Args: map[string]any{"customer_id": "cus_12345", "quantity": 3.0, "gift": true,
				"address": map[string]any{"city": "Nairobi"}},
			Context: map[string]any{"user_id": "u_42"},
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.Render("https://api.example.com/v1", s); err != nil {
				b.Fatal(err)
			}
		}
	})
	// POSTExact: arguments as the engine decodes them (exact numbers) and
	// text that must be escaped (quotes, non-ASCII, a space in the path).
	b.Run("POSTExact", func(b *testing.B) {
		rt, err := NewRequestTemplate(&Definition{
			Method: "POST",
			Path:   "/customers/{{args.customer_name}}/orders",
			Body: json.RawMessage(`{"customer_id":"{{args.customer_id}}","quantity":"{{args.quantity}}",` +
				`"price":"{{args.price}}","note":"Deliver to {{args.address.city}}: {{args.note}}"}`),
		})
		if err != nil {
			b.Fatal(err)
		}
		s := &Scope{Args: map[string]any{"customer_id": "cus_12345", "customer_name": "Ana María",
			"quantity": json.Number("3"), "price": json.Number("12.50"),
			"address": map[string]any{"city": "São Paulo"}, "note": `ring "twice"`}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.Render("https://api.example.com/v1", s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

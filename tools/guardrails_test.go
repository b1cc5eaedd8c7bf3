package tools_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/tools"
)

// callbackTool is a valid tool to add guardrails to.
func callbackTool() *tools.Definition {
	return &tools.Definition{
		Name: "book_callback", Description: "Book a callback once the caller gave their name, number and reason.",
		Method: "POST", URL: "https://crm.example.com/callbacks",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"phone_number":{"type":"string"},"name":{"type":"string"},` +
			`"reason":{"type":"string"}},"required":["phone_number","name","reason"]}`),
	}
}

func TestValidateGuardrails(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *tools.Definition)
		// want are the paths of the errors, in order.
		want []string
	}{
		{"no guardrails", func(d *tools.Definition) {}, nil},
		{"all of them", func(d *tools.Definition) {
			d.Confirm = &tools.ConfirmConfig{Message: "I'll book a callback to {{args.phone_number}} for {{ args.name }} ({{context.user_id}}). OK?", TTLS: 300}
			d.Approval = &tools.ApprovalConfig{Required: true, TimeoutS: 900, Message: "A colleague must approve this."}
			d.Limits = []tools.Limit{{Key: "tool", Rate: "60/m", Burst: 10}, {Key: "user", Rate: "5/m"}, {Key: "agent", Concurrency: 4}}
			d.ReadOnly = true
			d.Cache = &tools.CacheConfig{TTLS: 60, Scope: "user"}
		}, nil},
		{"confirm without a message", func(d *tools.Definition) { d.Confirm = &tools.ConfirmConfig{} }, []string{"confirm.message"}},
		{"confirm naming an argument that does not exist", func(d *tools.Definition) {
			d.Confirm = &tools.ConfirmConfig{Message: "Call {{args.phone}}?"}
		}, []string{"confirm.message"}},
		{"confirm reading a secret", func(d *tools.Definition) {
			d.Confirm = &tools.ConfirmConfig{Message: "Using {{secret.token}}?"}
		}, []string{"confirm.message"}},
		{"confirm that does not parse", func(d *tools.Definition) {
			d.Confirm = &tools.ConfirmConfig{Message: "Call {{args.phone_number?"}
		}, []string{"confirm.message"}},
		{"confirm ttl out of range", func(d *tools.Definition) {
			d.Confirm = &tools.ConfirmConfig{Message: "OK?", TTLS: 5}
		}, []string{"confirm.ttl_s"}},
		{"confirm with a schema property named like the token", func(d *tools.Definition) {
			d.Confirm = &tools.ConfirmConfig{Message: "OK?"}
			d.InputSchema = json.RawMessage(`{"type":"object","properties":{"_confirmation_token":{"type":"string"}}}`)
		}, []string{"input_schema.properties._confirmation_token"}},
		{"approval timeout out of range", func(d *tools.Definition) {
			d.Approval = &tools.ApprovalConfig{Required: true, TimeoutS: 10}
		}, []string{"approval.timeout_s"}},
		{"a rate of 0/s", func(d *tools.Definition) { d.Limits = []tools.Limit{{Key: "tool", Rate: "0/s"}} }, []string{"limits[0].rate"}},
		{"a rate per day", func(d *tools.Definition) { d.Limits = []tools.Limit{{Key: "tool", Rate: "5/d"}} }, []string{"limits[0].rate"}},
		{"an unknown key", func(d *tools.Definition) { d.Limits = []tools.Limit{{Key: "ip", Rate: "5/s"}} }, []string{"limits[0].key"}},
		{"neither rate nor concurrency", func(d *tools.Definition) { d.Limits = []tools.Limit{{Key: "tool"}} }, []string{"limits[0]"}},
		{"both rate and concurrency", func(d *tools.Definition) {
			d.Limits = []tools.Limit{{Key: "tool", Rate: "5/s", Concurrency: 2}}
		}, []string{"limits[0]"}},
		{"a negative burst", func(d *tools.Definition) { d.Limits = []tools.Limit{{Key: "tool", Rate: "5/s", Burst: -1}} }, []string{"limits[0].burst"}},
		{"a burst on a concurrency", func(d *tools.Definition) {
			d.Limits = []tools.Limit{{Key: "tool", Concurrency: 2, Burst: 3}}
		}, []string{"limits[0].burst"}},
		{"a concurrency of 0", func(d *tools.Definition) { d.Limits = []tools.Limit{{Key: "tool", Concurrency: -1}} }, []string{"limits[0].concurrency"}},
		{"a connection key without a connection", func(d *tools.Definition) {
			d.Limits = []tools.Limit{{Key: "connection", Concurrency: 2}}
		}, []string{"limits[0].key"}},
		{"a cache on a POST", func(d *tools.Definition) { d.Cache = &tools.CacheConfig{TTLS: 60} }, []string{"cache"}},
		{"a cache on a read_only POST", func(d *tools.Definition) {
			d.ReadOnly = true
			d.Cache = &tools.CacheConfig{TTLS: 60}
		}, nil},
		{"a cache on a GET", func(d *tools.Definition) {
			d.Method = "GET"
			d.Cache = &tools.CacheConfig{TTLS: 60, Scope: "workspace"}
		}, nil},
		{"a cache without a ttl", func(d *tools.Definition) {
			d.Method = "GET"
			d.Cache = &tools.CacheConfig{}
		}, []string{"cache.ttl_s"}},
		{"a cache with an unknown scope", func(d *tools.Definition) {
			d.Method = "GET"
			d.Cache = &tools.CacheConfig{TTLS: 60, Scope: "agent"}
		}, []string{"cache.scope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := callbackTool()
			tt.mutate(d)
			r := tools.Validate(d, nil)
			var got []string
			for _, e := range r.Errors {
				got = append(got, e.Path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error paths mismatch (-want +got):\n%s\nerrors: %+v", diff, r.Errors)
			}
			if r.Valid != (len(tt.want) == 0) {
				t.Errorf("Valid = %v with errors %+v", r.Valid, r.Errors)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in       string
		want     tools.Rate
		interval time.Duration
		ok       bool
	}{
		{"5/m", tools.Rate{N: 5, Per: time.Minute}, 12 * time.Second, true},
		{"60/m", tools.Rate{N: 60, Per: time.Minute}, time.Second, true},
		{"10/s", tools.Rate{N: 10, Per: time.Second}, 100 * time.Millisecond, true},
		{"1/h", tools.Rate{N: 1, Per: time.Hour}, time.Hour, true},
		{"0/s", tools.Rate{}, 0, false},
		{"-1/s", tools.Rate{}, 0, false},
		{"5/d", tools.Rate{}, 0, false},
		{"5", tools.Rate{}, 0, false},
		{"1.5/s", tools.Rate{}, 0, false},
		{"2000000/s", tools.Rate{}, 0, false},
	}
	for _, tt := range tests {
		got, err := tools.ParseRate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRate(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		l := tools.Limit{Key: "tool", Rate: tt.in}
		if got := l.Interval(); got != tt.interval {
			t.Errorf("Limit{Rate: %q}.Interval() = %s, want %s", tt.in, got, tt.interval)
		}
		if tt.ok && l.EffectiveBurst() != tt.want.N {
			t.Errorf("Limit{Rate: %q}.EffectiveBurst() = %d, want %d", tt.in, l.EffectiveBurst(), tt.want.N)
		}
	}
}

// TestConfirmInputSchema: models see the confirmation token as an
// optional argument of a tool with a confirm, after the tool's own
// properties, in their order; validation does not.
func TestConfirmInputSchema(t *testing.T) {
	d := callbackTool()
	plain, err := tools.Prepare("t1", 1, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain.InputSchema()), "_confirmation_token") {
		t.Errorf("a tool without a confirm shows the token: %s", plain.InputSchema())
	}
	d.Confirm = &tools.ConfirmConfig{Message: "OK?"}
	p, err := tools.Prepare("t1", 1, d)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
	}
	if err := json.Unmarshal(p.InputSchema(), &got); err != nil {
		t.Fatalf("schema %s: %v", p.InputSchema(), err)
	}
	var order []string
	dec := json.NewDecoder(strings.NewReader(string(got.Properties)))
	_, _ = dec.Token()
	for dec.More() {
		tok, _ := dec.Token()
		order = append(order, tok.(string))
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	if diff := cmp.Diff([]string{"phone_number", "name", "reason", "_confirmation_token"}, order); diff != "" {
		t.Errorf("property order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"phone_number", "name", "reason"}, got.Required); diff != "" {
		t.Errorf("required (-want +got):\n%s", diff)
	}
	if vr := p.Schema.Validate(map[string]any{"phone_number": "1", "name": "a", "reason": "b"}); !vr.OK() {
		t.Errorf("arguments without the token fail validation: %+v", vr)
	}
}

// TestInspect: a request's hash follows what is sent, never the run's
// identification or a secret's value; the arguments' hash is canonical;
// the confirm message renders what is missing as nothing.
func TestInspect(t *testing.T) {
	e := tools.NewEngine(tools.EngineConfig{})
	d := callbackTool()
	d.Method = "GET"
	d.URL = "https://crm.example.com/callbacks/{{args.phone_number}}"
	d.Confirm = &tools.ConfirmConfig{Message: "Call {{args.phone_number}} for {{args.name}}{{context.missing}}?"}
	p, err := tools.Prepare("t1", 1, d)
	if err != nil {
		t.Fatal(err)
	}
	inspect := func(args, agent string, ctx map[string]any) *tools.Inspection {
		t.Helper()
		in := e.Inspect(t.Context(), &tools.Call{WorkspaceID: "w", AgentID: agent, Tool: p, Arguments: json.RawMessage(args), Context: ctx})
		if in.Failed != nil {
			t.Fatalf("Inspect(%s) failed: %+v", args, in.Failed.Error)
		}
		return in
	}
	a := inspect(`{"phone_number":"+1555","name":"Ada","reason":"refund"}`, "agent-1", map[string]any{"user_id": "u1"})
	b := inspect(`{"reason":"refund","name":"Ada","phone_number":"+1555"}`, "agent-2", map[string]any{"user_id": "u2"})
	c := inspect(`{"phone_number":"+1666","name":"Ada","reason":"refund"}`, "agent-1", nil)
	if a.RequestHash() != b.RequestHash() {
		t.Error("the request hash depends on the agent, the user or the run")
	}
	if a.RequestHash() == c.RequestHash() {
		t.Error("two requests to different URLs share a hash")
	}
	if a.ArgumentsHash() != b.ArgumentsHash() || a.ArgumentsHash() == c.ArgumentsHash() {
		t.Error("the arguments hash is not canonical")
	}
	if got, want := a.ConfirmMessage(), "Call +1555 for Ada?"; got != want {
		t.Errorf("ConfirmMessage = %q, want %q", got, want)
	}
	// Values that redaction hides by position (a "key" query parameter, an
	// Authorization header from the caller's context) still tell one
	// caller's request from another's: two callers never share a key.
	keyed := callbackTool()
	keyed.Method = "GET"
	keyed.URL = "https://crm.example.com/orders?key={{args.phone_number}}"
	keyed.Headers = map[string]string{"Authorization": "Bearer {{context.user_token}}"}
	kp, err := tools.Prepare("t2", 1, keyed)
	if err != nil {
		t.Fatal(err)
	}
	keyedHash := func(phone, token string) string {
		t.Helper()
		in := e.Inspect(t.Context(), &tools.Call{WorkspaceID: "w", Tool: kp,
			Arguments: json.RawMessage(`{"phone_number":"` + phone + `","name":"Ada","reason":"refund"}`),
			Context:   map[string]any{"user_token": token}})
		if in.Failed != nil {
			t.Fatalf("Inspect failed: %+v", in.Failed.Error)
		}
		return in.RequestHash()
	}
	if keyedHash("+1555", "alice-token") == keyedHash("+1666", "alice-token") {
		t.Error("requests differing only in a query parameter redacted by name share a hash")
	}
	if keyedHash("+1555", "alice-token") == keyedHash("+1555", "bob-token") {
		t.Error("requests differing only in an Authorization header share a hash")
	}
	bad := e.Inspect(t.Context(), &tools.Call{WorkspaceID: "w", Tool: p, Arguments: json.RawMessage(`{"name":"Ada"}`)})
	if bad.Failed == nil || bad.Failed.Outcome != tools.OutcomeInvalidArguments || bad.Record == nil {
		t.Errorf("Inspect with missing arguments: %+v", bad.Failed)
	}
}

// TestCallMaxDuration: a call's bound covers an OAuth2 connection's token
// request and retry after a 401 (a concurrency slot's lease is built on it).
func TestCallMaxDuration(t *testing.T) {
	d := callbackTool()
	d.TimeoutMS = 30_000
	p, err := tools.Prepare("t", 1, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		conn *tools.Connection
		want time.Duration
	}{
		{nil, 30 * time.Second},
		{&tools.Connection{Auth: tools.Auth{Type: tools.AuthBearer}}, 30 * time.Second},
		{&tools.Connection{Auth: tools.Auth{Type: tools.AuthOAuth2ClientCredentials}}, 2 * time.Minute},
	} {
		if got := (&tools.Call{Tool: p, Conn: tc.conn}).MaxDuration(); got != tc.want {
			t.Errorf("MaxDuration with %+v = %s, want %s", tc.conn, got, tc.want)
		}
	}
}

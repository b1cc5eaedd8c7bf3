package flows

import (
	"strings"
	"testing"
)

func TestConditions(t *testing.T) {
	vars, err := decodeObject([]byte(`{"order": {"status": "delayed", "items": [{"qty": 2}], "total": 12.5},
		"count": 3, "big": 9007199254740993, "ok": true, "nothing": null}`))
	if err != nil {
		t.Fatal(err)
	}
	callerCtx := map[string]any{"channel": "whatsapp", "user_id": "+255700000001"}
	tests := []struct {
		expr    string
		message string
		want    bool
		evalErr bool
	}{
		{expr: "variables.order.status == 'delayed'", want: true},
		{expr: "variables.order.status == 'shipped'", want: false},
		{expr: "variables.order.items[0].qty > 1", want: true},
		{expr: "variables.count == 3", want: true},
		{expr: "variables.count == 3.0", want: true},
		{expr: "variables.order.total > 12", want: true},
		{expr: "variables.big == 9007199254740993", want: true},
		{expr: "variables.ok", want: true},
		{expr: "variables.nothing == null", want: true},
		{expr: "has(variables.order.eta)", want: false},
		{expr: "message == '1'", message: "1", want: true},
		{expr: "message.startsWith('AB')", message: "AB1234", want: true},
		{expr: "context.channel == 'whatsapp' && context.user_id.startsWith('+255')", want: true},
		// A missing key is an evaluation error: the caller treats the
		// condition as not holding.
		{expr: "variables.order.eta == 'today'", evalErr: true},
		{expr: "variables.missing.deep == 1", evalErr: true},
	}
	for _, tt := range tests {
		c, err := compileCondition(tt.expr)
		if err != nil {
			t.Errorf("compileCondition(%q): %v", tt.expr, err)
			continue
		}
		got, err := c.holds(vars, tt.message, callerCtx)
		if tt.evalErr {
			if err == nil {
				t.Errorf("%q: got %v, want an evaluation error", tt.expr, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %v, %v; want %v", tt.expr, got, err, tt.want)
		}
	}
}

func TestConditionCompileErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"":                        "is empty",
		"variables.a ==":          "is not a valid CEL expression",
		"'text'":                  "must be a boolean condition, not string",
		"nope > 1":                "undeclared reference to 'nope'",
		strings.Repeat("a", 5000): "is not a valid CEL expression",
	} {
		_, err := compileCondition(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("compileCondition(%.20q): got %v, want an error containing %q", expr, err, want)
		}
	}
}

func TestConditionCostIsBounded(t *testing.T) {
	// 10^5 iterations must stop at the cost limit rather than run on.
	c, err := compileCondition("[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, " +
		"[1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, a + b + c + d + e > 0)))))")
	if err != nil {
		t.Fatalf("compileCondition: %v", err)
	}
	_, err = c.holds(nil, "", nil)
	if err == nil || !strings.Contains(err.Error(), "cost") {
		t.Errorf("got %v, want the cost limit's error", err)
	}
}

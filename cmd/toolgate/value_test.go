package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValuesOfYAML: YAML becomes JSON with the same values, members in
// order; what JSON cannot hold and repeated keys are refused with their
// line.
func TestValuesOfYAML(t *testing.T) {
	tests := []struct {
		yaml string
		want []string // each document's JSON
		err  string
	}{
		{"b: 1\na: 2\n", []string{`{"b":1,"a":2}`}, ""},
		{"hex: 0x1F\nunderscores: 1_000\nfraction: 1.50\nexp: 1e3\nbig: 123456789012345678901234567890\nneg: -7\n",
			[]string{`{"hex":31,"underscores":1000,"fraction":1.50,"exp":1e3,"big":123456789012345678901234567890,"neg":-7}`}, ""},
		{"s: '007'\nt: true\nn: ~\nq: \"x\\ty\"\ndate: 2024-01-01\nempty:\n", []string{`{"s":"007","t":true,"n":null,"q":"x\ty","date":"2024-01-01","empty":null}`}, ""},
		{"- a\n- {b: [1, 2]}\n", []string{`["a",{"b":[1,2]}]`}, ""},
		{"base: &b {x: 1, y: 1}\nuse: {<<: *b, y: 2}\n", []string{`{"base":{"x":1,"y":1},"use":{"y":2,"x":1}}`}, ""},
		{"kind: tool\n---\nkind: agent\n---\n# only a comment\n", []string{`{"kind":"tool"}`, `{"kind":"agent"}`}, ""},
		{"html: <b>&</b>\n", []string{`{"html":"<b>&</b>"}`}, ""},
		{"a: 1\nb: 2\na: 3\n", nil, `line 3: key "a" is repeated`},
		{"a:\n  b: 1\n  b: 1\n", nil, `line 3: key "b" is repeated`},
		{"x: .nan\n", nil, "line 1: .nan is not a number JSON can hold"},
		{"x: -.inf\n", nil, "line 1: -.inf is not a number JSON can hold"},
		{"? [a, b]\n: c\n", nil, "line 1: a mapping key must be a plain value"},
		{"a: [1\n", nil, "invalid YAML"},
		{"zip: 02134\n", nil, `line 1: zip: 02134 would be read as an octal number; quote it ("02134") if it is text`},
		{"a:\n  - {n: -0017}\n", nil, `line 2: a[0].n: -0017 would be read as an octal number`},
		{"zero: 0\nneg: -0\nok: 0o17\nq: '02134'\n", []string{`{"zero":0,"neg":-0,"ok":15,"q":"02134"}`}, ""},
		{"base: &b {x: 1}\nuse: {<<: *b, x: 2, y: 3}\nbad: {<<: *b, y: 1, y: 2}\n", nil, `line 3: key "y" is repeated`},
	}
	for _, tt := range tests {
		docs, err := valuesOfYAML([]byte(tt.yaml))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.yaml, err)
			continue
		}
		var got []string
		for _, d := range docs {
			got = append(got, string(d.JSON()))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.yaml, diff)
		}
	}
}

// TestYAMLBillionLaughs: aliases cannot expand a small file into a huge
// value.
func TestYAMLBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, err := valuesOfYAML([]byte(b.String()))
	if want := "the file expands to too many values through aliases"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a file of aliases expanding to 10^9 values: error %v, want %q", err, want)
	}
}

// TestValueOfJSON: JSON keeps its members' order and numbers' text, and
// knows each value's line.
func TestValueOfJSON(t *testing.T) {
	data := "{\n  \"name\": \"t\",\n  \"tools\": [\n    {\"name\": \"a\"},\n    {\"name\": 1.50}\n  ],\n  \"headers\": {\"X.Y\": \"z\"}\n}"
	v, err := valueOfJSON([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(v.JSON()); got != `{"name":"t","tools":[{"name":"a"},{"name":1.50}],"headers":{"X.Y":"z"}}` {
		t.Errorf("JSON %s", got)
	}
	for path, line := range map[string]int{"": 1, "name": 2, "tools": 3, "tools[1].name": 5, "tools[1]": 5, "tools[7].name": 3,
		"headers.X.Y": 7, "headers.nope": 7} {
		if got := v.at(path); got == nil || got.line != line {
			t.Errorf("at(%q) is on line %v, want %d", path, got, line)
		}
	}
	for doc, want := range map[string]string{
		"{\"a\": 1,\n\"a\": 2}": `line 2: member "a" is repeated`,
		"{\"a\": 1} {}":         "data after the JSON value",
		"{\n\"a\": tru}":        "line 2: invalid JSON",
		"[1, 2":                 "invalid JSON",
	} {
		if _, err := valueOfJSON([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", doc, err, want)
		}
	}
}

// TestWriteYAML: what export writes reads back as the same JSON.
func TestWriteYAML(t *testing.T) {
	src := `{"kind":"tool","name":"t","n":"123","yes":"true","env":"${X}","multi":"a\nb\n","big":1e+21,"int":12,"f":1.5,` +
		`"empty":{},"list":[],"null":null,"nested":[{"b":2,"a":1}],"tpl":"{{args.x}}","html":"<&>"}`
	v, err := valueOfJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeYAML(&buf, v, v); err != nil {
		t.Fatal(err)
	}
	docs, err := valuesOfYAML(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(docs) != 2 {
		t.Fatalf("%d documents read back:\n%s", len(docs), buf.String())
	}
	for _, d := range docs {
		if diff := cmp.Diff(src, string(d.JSON())); diff != "" {
			t.Errorf("read back (-written +read):\n%s\n%s", diff, buf.String())
		}
	}
}

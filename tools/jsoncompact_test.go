package tools

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceCompact is what Shape did before compactJSON: json.Valid, then
// json.Compact, then invalid UTF-8 replaced.
func referenceCompact(src []byte) ([]byte, bool) {
	if !json.Valid(src) {
		return nil, false
	}
	var b bytes.Buffer
	if err := json.Compact(&b, src); err != nil {
		return nil, false
	}
	out := b.Bytes()
	if !utf8.Valid(out) {
		out = []byte(strings.ToValidUTF8(string(out), escapedReplacement))
	}
	return out, true
}

// checkCompact holds compactJSON and compactJSONShared to
// referenceCompact, whole and cut.
func checkCompact(t *testing.T, src []byte) {
	t.Helper()
	want, wantOK := referenceCompact(src)
	shared, sharedOK := compactJSONShared(src)
	if sharedOK != wantOK || !bytes.Equal(shared, want) {
		t.Fatalf("compactJSONShared(%q) = %q, %v; want %q, %v", src, shared, sharedOK, want, wantOK)
	}
	if len(shared) > 0 && &shared[0] == &src[0] && cap(shared) != len(shared) {
		t.Fatalf("compactJSONShared(%q) is the source with room to append into it (cap %d, len %d)", src, cap(shared), len(shared))
	}
	got, total, ok := compactJSON(nil, src, -1)
	if ok != wantOK {
		t.Fatalf("compactJSON(%q) ok = %v, json.Valid = %v", src, ok, wantOK)
	}
	if !ok {
		return
	}
	if !bytes.Equal(got, want) || total != len(want) {
		t.Fatalf("compactJSON(%q) = %q (total %d), want %q", src, got, total, want)
	}
	for _, keep := range []int{0, 1, len(want) / 2, len(want) - 1} {
		cut, total, ok := compactJSON([]byte("prefix"), src, keep)
		if !ok || total != len(want) || string(cut) != "prefix"+string(want[:max(keep, 0)]) {
			t.Fatalf("compactJSON(%q, keep %d) = %q, %d, %v; want %q, %d", src, keep, cut, total, ok, want[:max(keep, 0)], len(want))
		}
	}
}

func TestCompactJSON(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []string{
		``, ` `, `{}`, `[]`, ` { "a" : [ 1 , 2.5e-3 , -0 , true , false , null ] } `, `"x"`, `0`, `-`, `01`, `1.`, `1.e5`, `1e`, `1e+`,
		`-01`, `1E+10`, `.5`, `+1`, `tru`, `truex`, `nul`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a":1 "b":2}`,
		`"\u00e9\uD834\uDD1E\ud800"`, `"\u12"`, `"\u12G4"`, `"\x"`, `"\/\b\f\n\r\t\"\\"`, "\"a\x01b\"", "\"tab\tinside\"",
		"\"bad \xff\xfe run\"", "\"\xe2\x82 cut\"", "\"end \xff\"", "\"\xff\\n\xff\"", "[\"\xc3\xa9\", \"\xef\xbf\xbd\"]", "\xff",
		`{"a":"b"} x`, `[1] [2]`, `"unterminated`, `"\`, "\t\n\r [1]\r\n", `{"a":{"b":{"c":[{"d":[]}]}}}`,
		deep(maxJSONDepth), deep(maxJSONDepth + 1), "[" + deep(maxJSONDepth-1) + "," + deep(maxJSONDepth) + "]",
		`{"a":` + strings.Repeat(`{"a":`, maxJSONDepth-1) + `1` + strings.Repeat(`}`, maxJSONDepth),
		`{"a":` + strings.Repeat(`{"a":`, maxJSONDepth) + `1` + strings.Repeat(`}`, maxJSONDepth+1),
		"\u2028\"\u2028\"", `"<&>"`,
	}
	for _, src := range tests {
		name := src
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) { checkCompact(t, []byte(src)) })
	}
}

func FuzzCompactJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"c"}]}`, ` [ 1 , -2.5E+3 ] `, "\"x\xffy\"", `"\ud800"`, `{"a" : null}`, `tru`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) { checkCompact(t, src) })
}

// BenchmarkShapeLarge is Shape of a compact 1 MB JSON document cut to the
// default 16 KiB, the large-response case.
func BenchmarkShapeLarge(b *testing.B) {
	var doc bytes.Buffer
	doc.WriteString(`{"items":[`)
	for i := 0; doc.Len() < 1<<20; i++ {
		if i > 0 {
			doc.WriteByte(',')
		}
		doc.WriteString(`{"id":12345,"name":"Item number 12345","price":10.5,"tags":["a","b"],"note":"Ships in 2-3 days; returns é accepted."}`)
	}
	doc.WriteString(`]}`)
	body := doc.Bytes()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, truncated := Shape(body, "application/json", nil, 0); !truncated {
			b.Fatal("not truncated")
		}
	}
}

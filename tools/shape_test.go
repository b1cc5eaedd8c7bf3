package tools

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShape(t *testing.T) {
	order := `{
		"id": "A-1",
		"status": "shipped",
		"address": {"city": "Nairobi", "zip": "00100"},
		"items": [{"id": "i1", "qty": 2}, {"id": "i2", "qty": 1}],
		"empty": null
	}`
	sel := func(paths ...string) *ResponseConfig { return &ResponseConfig{Select: paths} }
	tests := []struct {
		name        string
		body        string
		contentType string
		cfg         *ResponseConfig
		maxBytes    int
		want        string
	}{
		{name: "compacted", body: order, contentType: "application/json",
			want: `{"id":"A-1","status":"shipped","address":{"city":"Nairobi","zip":"00100"},"items":[{"id":"i1","qty":2},{"id":"i2","qty":1}],"empty":null}`},
		{name: "select top level", body: order, cfg: sel("status", "id"), contentType: "application/json",
			want: `{"status":"shipped","id":"A-1"}`},
		{name: "select nested object", body: order, cfg: sel("address.city", "address"), contentType: "application/json",
			want: `{"address.city":"Nairobi","address":{"city":"Nairobi","zip":"00100"}}`},
		{name: "select array index and all", body: order, cfg: sel("items.0.id", "items.#.qty", "items.#"), contentType: "application/problem+json",
			want: `{"items.0.id":"i1","items.#.qty":[2,1],"items.#":2}`},
		{name: "missing path is null", body: order, cfg: sel("status", "tracking_url", "items.5.id"),
			want: `{"status":"shipped","tracking_url":null,"items.5.id":null}`},
		{name: "duplicate path once", body: order, cfg: sel("id", "id"), want: `{"id":"A-1"}`},
		{name: "JSON sent as text/plain", body: ` [1, 2] `, contentType: "text/plain", want: `[1,2]`},
		{name: "scalar JSON", body: `42`, want: `42`},
		{name: "select on a top-level array", body: `[{"a":1},{"a":2}]`, cfg: sel("#.a", "1"), want: `{"#.a":[1,2],"1":{"a":2}}`},
		{name: "text", body: "Order shipped.\nThanks \"you\"", contentType: "text/plain", want: `"Order shipped.\nThanks \"you\""`},
		{name: "invalid JSON labelled JSON is text", body: `{"a":`, contentType: "application/json", want: `"{\"a\":"`},
		{name: "select ignored for text", body: "<html>hi</html>", cfg: sel("a"), contentType: "text/html", want: `"<html>hi</html>"`},
		{name: "invalid UTF-8 text replaced", body: "ab\xffc", want: `"ab\ufffdc"`},
		{name: "invalid UTF-8 inside JSON string replaced", body: "{\"a\":\"x\xffy\"}", want: `{"a":"x\ufffdy"}`},
		{name: "empty body", body: "", want: `null`},
		{name: "whitespace body", body: " \n", want: `null`},
		{name: "BOM stripped", body: "\xef\xbb\xbf{\"a\":1}", want: `{"a":1}`},
		{name: "fits exactly", body: `"abcdef"`, maxBytes: 8, want: `"abcdef"`},
		{name: "JSON too long for even its shortest cut becomes a string", body: `{"msg":"hello world"}`, maxBytes: 12,
			want: `"{\"msg\":…[truncated: showing 7 of 21 bytes]"`},
		{name: "long number becomes a string", body: `12345678901234567890`, maxBytes: 8,
			want: `"123456…[truncated: showing 6 of 20 bytes]"`},
		{name: "text truncated", body: "hello world", maxBytes: 7, want: `"hello…[truncated: showing 5 of 11 bytes]"`},
		{name: "truncation at a rune boundary", body: "ééééé", maxBytes: 7, want: `"éé…[truncated: showing 4 of 10 bytes]"`},
		{name: "escape not split", body: "a\nb\nc", maxBytes: 4, want: `"a…[truncated: showing 1 of 5 bytes]"`},
		{name: "zero max means default", body: `{"a":1}`, maxBytes: 0, want: `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maxBytes := tt.maxBytes
			if maxBytes == 0 {
				maxBytes = MaxBytesDefault
			}
			got, truncated := Shape([]byte(tt.body), tt.contentType, tt.cfg, tt.maxBytes)
			if string(got) != tt.want {
				t.Errorf("Shape = %s\n            want %s", got, tt.want)
			}
			if wantTrunc := strings.Contains(tt.want, "[truncated:") || strings.Contains(tt.want, `"_truncated"`); truncated != wantTrunc {
				t.Errorf("truncated = %v, want %v", truncated, wantTrunc)
			}
			if !json.Valid(got) {
				t.Errorf("Shape result is not valid JSON: %s", got)
			}
		})
	}
}

func TestShapeMaxBytesBounds(t *testing.T) {
	body := []byte(strings.Repeat(`{"k":"v\"\\é\u2028<\n>"},`, 500))
	body = append(append([]byte{'['}, body[:len(body)-1]...), ']')
	for _, text := range []bool{false, true} {
		b := body
		if text {
			b = append([]byte("not json "), body...)
		}
		full, _ := Shape(b, "", nil, 1<<30)
		for maxBytes := 2; maxBytes < 400; maxBytes++ {
			got, truncated := Shape(b, "", nil, maxBytes)
			if !truncated {
				t.Fatalf("max %d: not truncated", maxBytes)
			}
			checkTruncated(t, got, full, maxBytes)
		}
	}
}

// checkTruncated checks a truncated result against full, the result
// without a cap: a cut of full of the same type within maxBytes (see
// checkCut), or (text, numbers, budgets too small to cut JSON) a valid JSON
// string of valid UTF-8 ending with the marker, within maxBytes plus the
// marker.
func checkTruncated(t *testing.T, got, full []byte, maxBytes int) {
	t.Helper()
	if !utf8.Valid(got) {
		t.Fatalf("max %d: invalid UTF-8", maxBytes)
	}
	switch k := jsonKind(full); {
	case (k == '[' || k == '{') && jsonKind(got) == k, k == '"' && len(got) <= maxBytes:
		// A structural cut (text truncation always overshoots maxBytes).
		if len(got) > maxBytes {
			t.Fatalf("max %d: cut result has %d bytes: %s", maxBytes, len(got), got)
		}
		if err := checkCut(decodeOrdered(t, got), decodeOrdered(t, full)); err != nil {
			t.Fatalf("max %d: %v\ncut:  %s\nfull: %.300s", maxBytes, err, got, full)
		}
		return
	case (k == '[' || k == '{') && maxBytes >= 64:
		// Only a budget too small for the shortest cut turns JSON to text.
		t.Fatalf("max %d: %c result turned into %s", maxBytes, k, got)
	}
	var s string
	if err := json.Unmarshal(got, &s); err != nil {
		t.Fatalf("max %d: truncated result is not a JSON string: %v: %s", maxBytes, err, got)
	}
	i := strings.LastIndex(s, "…[truncated: showing ")
	if i < 0 || !strings.HasSuffix(s, " bytes]") {
		t.Fatalf("max %d: no marker in %q", maxBytes, s)
	}
	marker := s[i:]
	if len(got) > max(maxBytes, 2)+len(marker) {
		t.Fatalf("max %d: %d bytes with a %d-byte marker", maxBytes, len(got), len(marker))
	}
}

func FuzzShape(f *testing.F) {
	f.Add([]byte(`{"a":{"b":[1,2,{"c":"d"}]}}`), "application/json", "a.b.2.c", 64)
	f.Add([]byte(`[1,2,3]`), "", "#", 3)
	f.Add([]byte("plain \xff text \"quoted\"\n"), "text/plain", "", 10)
	f.Add([]byte("\u2028\u2029\x00"), "", "", 5)
	f.Add([]byte(`{"a":"`+strings.Repeat("é", 100)+`"}`), "application/json", "a", 33)
	f.Add([]byte(``), "", "", 1)
	f.Fuzz(func(t *testing.T, body []byte, contentType, path string, maxBytes int) {
		maxBytes %= 1 << 16
		var cfg *ResponseConfig
		if path != "" {
			cfg = &ResponseConfig{Select: []string{path, "x"}}
		}
		got, truncated := Shape(body, contentType, cfg, maxBytes)
		if !json.Valid(got) || !utf8.Valid(got) {
			t.Fatalf("invalid result %q", got)
		}
		limit := maxBytes
		if limit <= 0 {
			limit = MaxBytesDefault
		}
		if !truncated {
			if len(got) > limit && string(got) != "null" {
				t.Fatalf("%d bytes, max %d, not truncated", len(got), limit)
			}
			return
		}
		full, _ := Shape(body, contentType, cfg, 1<<30)
		checkTruncated(t, got, full, limit)
	})
}

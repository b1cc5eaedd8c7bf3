package redact

import (
	"strings"
	"testing"
)

// benchBody is a 4 KiB JSON document like a recorded response.
var benchBody = func() string {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < 4000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"ord_8f14e45fceea167a","status":"shipped","total":1299,"currency":"usd"}`)
	}
	b.WriteString(`]}`)
	return b.String()
}()

func BenchmarkRedact(b *testing.B) {
	r := New("sk-live-0123456789abcdef", "ya29.a0AfH6SMBx-token-value", "p@ss w/rd")
	matching := strings.Replace(benchBody, "ord_8f14e45fceea167a", "sk-live-0123456789abcdef", 3)
	for _, bench := range []struct {
		name string
		body string
	}{
		{"no-match", benchBody},
		{"match", matching},
	} {
		b.Run("String/"+bench.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bench.body)))
			for b.Loop() {
				_ = r.String(bench.body)
			}
		})
		body := []byte(bench.body)
		b.Run("Bytes/"+bench.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				_ = r.Bytes(body)
			}
		})
	}
}

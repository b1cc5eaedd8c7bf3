package egress

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func BenchmarkDo(b *testing.B) {
	body := `{"id":"123","status":"ok","items":[` + strings.Repeat(`{"name":"widget","qty":1},`, 40) + `{}]}`
	s, err := startServer(b, "tcp4", "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	if err != nil {
		b.Fatal(err)
	}
	c := New(Config{AllowNetworks: loopbackNetworks})
	defer c.CloseIdleConnections()

	for _, bench := range []struct {
		name string
		opts Options
	}{
		{"plain", Options{}},
		{"sensitive", Options{SensitiveHeaders: []string{"X-Api-Key"}}},
	} {
		b.Run(bench.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, s.URL, nil)
				resp, err := c.Do(b.Context(), req, bench.opts)
				if err != nil || len(resp.Body) != len(body) {
					b.Fatalf("Do: %v", err)
				}
			}
		})
	}
}

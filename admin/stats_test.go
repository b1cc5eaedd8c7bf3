package admin

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLatencyOf(t *testing.T) {
	tests := []struct {
		name      string
		durations []float64
		want      Latency
	}{
		{"none", nil, Latency{}},
		{"one", []float64{7}, Latency{P50MS: 7, P95MS: 7, Samples: 1}},
		{"nearest rank", []float64{100, 10, 90, 20, 80, 30, 70, 40, 60, 50, 200, 300, 400}, Latency{P50MS: 70, P95MS: 400, Samples: 13}},
		{"twenty", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, Latency{P50MS: 10, P95MS: 19, Samples: 20}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, latencyOf(tt.durations)); diff != "" {
			t.Errorf("%s: latencyOf mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

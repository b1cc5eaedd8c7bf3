package tools

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/redact"
)

// sameJSON fails unless got is valid JSON that decodes to what want's
// json.Marshal decodes to.
func sameJSON(t *testing.T, what string, got []byte, want any) {
	t.Helper()
	wantRaw, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: invalid JSON %s: %v", what, got, err)
	}
	if err := json.Unmarshal(wantRaw, &w); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("%s (-json.Marshal +appender):\n%s", what, diff)
	}
}

func TestRecordJSONMatchesMarshal(t *testing.T) {
	r := redact.New("tok-secret-123")
	h := http.Header{"Authorization": {"Bearer tok-secret-123"}, "X-Echo": {"has tok-secret-123", "<&>"},
		"Content-Type": {"application/json"}, "X-Empty": {}, "X-Nil": nil}
	for i := range 20 { // more names than the stack array holds
		h["X-Many-"+string(rune('a'+i))] = []string{"v"}
	}
	started := time.Date(2026, 11, 30, 7, 1, 2, 345678900, time.UTC)
	rb := RecordedBody{BodyCut: true, BodyBytes: 123456, BodySHA256: "ab12"}

	t.Run("request", func(t *testing.T) {
		for _, body := range [][]byte{nil, []byte(`{"a":"é\u2028\n"}`)} {
			for _, cut := range []RecordedBody{{}, rb} {
				got := appendRecordedRequest([]byte("x"), "POST", "https://h/p?q=1", h, body, cut, r)[1:]
				sameJSON(t, "request", got, RecordedRequest{Method: "POST", URL: "https://h/p?q=1", Headers: r.Header(h),
					Body: string(body), RecordedBody: cut})
			}
		}
		sameJSON(t, "request without headers", appendRecordedRequest(nil, "GET", "u", nil, nil, RecordedBody{}, r),
			RecordedRequest{Method: "GET", URL: "u"})
	})
	t.Run("response", func(t *testing.T) {
		for _, truncated := range []bool{false, true} {
			got := appendRecordedResponse(nil, 201, h, []byte("text \xff tok-secret-123"), truncated, rb, r)
			sameJSON(t, "response", got, RecordedResponse{StatusCode: 201, Headers: r.Header(h),
				Body: "text \xff tok-secret-123", Truncated: truncated, RecordedBody: rb})
		}
	})
	t.Run("timings", func(t *testing.T) {
		for _, tm := range []Timings{{}, {DNSMS: 0.001, ConnectMS: 1.5, TLSMS: 1e-7, TTFBMS: 123456.789, TotalMS: 1e22}} {
			sameJSON(t, "timings", appendTimings(nil, tm), tm)
			want, _ := json.Marshal(tm)
			if got := appendTimings(nil, tm); string(got) != string(want) {
				t.Errorf("timings = %s, json.Marshal writes %s", got, want)
			}
		}
	})
	t.Run("attempts", func(t *testing.T) {
		for _, as := range [][]Attempt{nil, {}, {{Attempt: 1, Outcome: "success", StatusCode: 200, DurationMS: 12.5, StartedAt: started}},
			{{Attempt: 1, Outcome: "timeout", DurationMS: 10000, StartedAt: started, Error: "no answer \"<>\""},
				{Attempt: 2, Outcome: "running", StartedAt: started.Add(time.Second)}}} {
			sameJSON(t, "attempts", appendAttempts(nil, as), as)
		}
	})
	t.Run("objects", func(t *testing.T) {
		for _, m := range []map[string]any{nil, {}, {"user_id": "+255", "n": 3.25, "i": 7, "i64": int64(-9), "ok": true, "nil": nil,
			"num": json.Number("12.50"), "nested": map[string]any{"b": []any{1.0, "x", nil, map[string]any{}}, "a": []any(nil)},
			"other": []string{"a"}, "html": "<&>"}} {
			got, err := appendJSONObject(nil, m)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, "object", got, m)
		}
		for _, bad := range []map[string]any{{"nan": math.NaN()}, {"inf": math.Inf(1)}, {"ch": make(chan int)}, {"n": json.Number("1x")}} {
			if _, err := appendJSONObject(nil, bad); err == nil {
				t.Errorf("appendJSONObject(%v) succeeded; json.Marshal fails", bad)
			}
		}
	})
}

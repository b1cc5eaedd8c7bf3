package tools_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/tools"
)

// TestRunBodyMax checks what a run record keeps of request and response
// bodies: all of a body within RunBodyMax; of a longer one, its first
// bytes cut at a character boundary, with the whole body's size and
// SHA-256, while the model's result is shaped from the whole body.
func TestRunBodyMax(t *testing.T) {
	const max = 64
	hexSum := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	long := `{"text":"` + strings.Repeat("é", 100) + `"}` // a 2-byte character across the cut
	tests := []struct {
		name     string
		reqBody  string
		respBody string
		wantReq  tools.RecordedRequest
		wantResp tools.RecordedResponse
	}{
		{name: "short bodies whole", reqBody: `"hi"`, respBody: `{"a":1}`,
			wantReq:  tools.RecordedRequest{Body: `{"note":"hi"}`},
			wantResp: tools.RecordedResponse{StatusCode: 200, Body: `{"a":1}`}},
		{name: "exactly the cap", reqBody: `"` + strings.Repeat("x", max-11) + `"`, respBody: strings.Repeat("y", max),
			wantReq:  tools.RecordedRequest{Body: `{"note":"` + strings.Repeat("x", max-11) + `"}`},
			wantResp: tools.RecordedResponse{StatusCode: 200, Body: strings.Repeat("y", max)}},
		{name: "long bodies cut", reqBody: `"` + strings.Repeat("ü", 60) + `"`, respBody: long,
			wantReq: tools.RecordedRequest{Body: `{"note":"` + strings.Repeat("ü", 27),
				RecordedBody: tools.RecordedBody{BodyCut: true, BodyBytes: 131, BodySHA256: hexSum(`{"note":"` + strings.Repeat("ü", 60) + `"}`)}},
			wantResp: tools.RecordedResponse{StatusCode: 200, Body: `{"text":"` + strings.Repeat("é", 27),
				RecordedBody: tools.RecordedBody{BodyCut: true, BodyBytes: len(long), BodySHA256: hexSum(long)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				_, _ = io.WriteString(w, tt.respBody)
			}))
			defer up.Close()
			p, err := tools.Prepare("t1", 1, &tools.Definition{Name: "note", Method: "POST", URL: up.URL + "/notes",
				Body: json.RawMessage(`{"note":"{{args.note}}"}`)})
			if err != nil {
				t.Fatal(err)
			}
			client := egress.New(egress.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
			defer client.CloseIdleConnections()
			engine := tools.NewEngine(tools.EngineConfig{Client: client, RunBodyMax: max})
			res, run := engine.Execute(context.Background(), &tools.Call{WorkspaceID: "ws", Tool: p,
				Arguments: json.RawMessage(`{"note":` + tt.reqBody + `}`)})
			if res.Outcome != tools.OutcomeSuccess {
				t.Fatalf("outcome %s: %+v", res.Outcome, res.Error)
			}
			var req tools.RecordedRequest
			var resp tools.RecordedResponse
			if err := json.Unmarshal(run.Request, &req); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(run.Response, &resp); err != nil {
				t.Fatal(err)
			}
			req.Method, req.URL, req.Headers, resp.Headers = "", "", nil, nil
			if diff := cmp.Diff(tt.wantReq, req); diff != "" {
				t.Errorf("recorded request (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantResp, resp); diff != "" {
				t.Errorf("recorded response (-want +got):\n%s", diff)
			}
			// The model reads the whole body, whatever the record keeps.
			var whole any
			if err := json.Unmarshal([]byte(tt.respBody), &whole); err == nil {
				var got any
				if err := json.Unmarshal(res.Result, &got); err != nil || !cmp.Equal(got, whole) {
					t.Errorf("result %s, want the whole body %s", res.Result, tt.respBody)
				}
			}
		})
	}
}

// TestSecretsNearCuts sweeps a secret across the places where the model's
// result and the run record cut a long body: neither ever shows a piece of
// it (the result shows what it shows of the body redacted, the record
// keeps its first bytes redacted), and the record's digest is of the body
// as received.
func TestSecretsNearCuts(t *testing.T) {
	const secret = "sekrit-6d1f3a9c77"
	const maxBytes, runBodyMax = 100, 200
	var body atomic.Value
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, body.Load().(string))
	}))
	defer up.Close()
	// The tool carries the secret literally, so its calls redact it.
	p, err := tools.Prepare("t1", 1, &tools.Definition{Name: "fetch", Method: "GET", URL: up.URL + "/doc",
		Headers: map[string]string{"X-Api-Key": secret}, Response: &tools.ResponseConfig{MaxBytes: maxBytes}})
	if err != nil {
		t.Fatal(err)
	}
	client := egress.New(egress.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	defer client.CloseIdleConnections()
	engine := tools.NewEngine(tools.EngineConfig{Client: client, RunBodyMax: runBodyMax})
	pieces := func(text string) []string {
		var found []string
		for n := 5; n <= len(secret); n++ {
			for i := 0; i+n <= len(secret); i++ {
				if strings.Contains(text, secret[i:i+n]) {
					found = append(found, secret[i:i+n])
				}
			}
		}
		return found
	}
	for _, kind := range []string{"json", "json members", "json items", "text"} {
		for pad := 0; pad < runBodyMax+20; pad++ {
			doc := strings.Repeat("p", pad) + secret + strings.Repeat("q", 300)
			switch kind {
			case "json":
				doc = `{"pad":"` + doc + `"}`
			case "json members":
				// A structural cut shows the start of each member, not
				// one prefix of the document.
				doc = `{"first":"` + strings.Repeat("f", 300) + `","second":"` + strings.Repeat("p", pad%60) + secret + `"}`
			case "json items":
				// The first items are shown whole, or the first cut.
				doc = `["` + strings.Repeat("p", pad%60) + secret + `","` + strings.Repeat("q", 300) + `"]`
			}
			body.Store(doc)
			res, run := engine.Execute(context.Background(), &tools.Call{WorkspaceID: "ws", Tool: p})
			if res.Outcome != tools.OutcomeSuccess || !res.Truncated {
				t.Fatalf("%s pad %d: outcome %s, truncated %v", kind, pad, res.Outcome, res.Truncated)
			}
			if found := pieces(string(res.Result)); len(found) > 0 {
				t.Errorf("%s pad %d: the result shows %q: %s", kind, pad, found, res.Result)
			}
			var resp tools.RecordedResponse
			if err := json.Unmarshal(run.Response, &resp); err != nil {
				t.Fatal(err)
			}
			if found := pieces(resp.Body); len(found) > 0 {
				t.Errorf("%s pad %d: the record shows %q: %s", kind, pad, found, resp.Body)
			}
			sum := sha256.Sum256([]byte(doc))
			if !resp.BodyCut || resp.BodyBytes != len(doc) || resp.BodySHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s pad %d: recorded %+v, want the cut, size and digest of the body as received", kind, pad, resp.RecordedBody)
			}
		}
	}
}

package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store/testdb"
)

// The adapter benchmarks call the same tool (lookup_order: setupCall's
// get_order without its context header, on SQLite, over loopback) through
// POST /v1/tools/{name}/call and through the Vapi adapter, one request at
// a time, and report the median and 99th percentile latency besides the
// mean (ns/op): the adapter's cost is the difference of the two p50-ns
// figures (target: under 0.2 ms).

// adapterBenchEnv is a bench gateway with lookup_order, an agent key and the
// agent's Vapi secret set.
type adapterBenchEnv struct {
	*benchEnv
	key, agentID string
}

const benchVapiSecret = "bench-vapi-secret"

func newAdapterBenchEnv(b *testing.B) *adapterBenchEnv {
	e := newBenchEnv(b, testdb.SQLite)
	key := e.setupCall()
	agents := e.must(200, "GET", "/v1/admin/agents", e.admin, nil)
	agentID := agents["items"].([]any)[0].(map[string]any)["id"].(string)
	// lookup_order is get_order without the header from the caller
	// context, which a voice platform does not send.
	def := benchToolDef("lookup_order", "backend")
	delete(def, "headers")
	tool := e.must(201, "POST", "/v1/admin/tools", e.admin, def)
	e.must(200, "POST", "/v1/admin/tools/"+tool["id"].(string)+"/publish", e.admin, nil)
	e.must(200, "PATCH", "/v1/admin/agents/"+agentID, e.admin, map[string]any{
		"tools":    []map[string]any{{"name": "get_order"}, {"name": "lookup_order"}},
		"adapters": map[string]any{"vapi": map[string]any{"secret": benchVapiSecret}}})
	return &adapterBenchEnv{benchEnv: e, key: key, agentID: agentID}
}

// post sends one request and fails unless the answer is a 200 holding want.
func (e *adapterBenchEnv) post(url string, body []byte, header http.Header, want string) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = header
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil && (resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), want)) {
		err = &statusError{resp.StatusCode}
	}
	return err
}

// measure runs call in b.Loop and reports p50-ns and p99-ns.
func measure(b *testing.B, call func() error) {
	for range 200 { // warm the catalog, the pools and the store's cache
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
	latencies := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := call(); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkCallEndpointPlain is lookup_order through POST
// /v1/tools/lookup_order/call with an agent key and a voice caller context.
func BenchmarkCallEndpointPlain(b *testing.B) {
	e := newAdapterBenchEnv(b)
	body := []byte(`{"arguments": {"order_id": "A-17", "verbose": true}, "context": {"user_id": "+14155550123", "conversation_id": "call-1", "channel": "voice"}}`)
	header := http.Header{"Authorization": {"Bearer " + e.key}, "Content-Type": {"application/json"}}
	url := e.server.URL + "/v1/tools/lookup_order/call"
	measure(b, func() error { return e.post(url, body, header, `"ok":true`) })
}

// BenchmarkVapiAdapter is the same call as a Vapi tool-calls message:
// unscoped agent lookup, secret check, envelope decoding and the results
// envelope on top of the plain call.
func BenchmarkVapiAdapter(b *testing.B) {
	e := newAdapterBenchEnv(b)
	body := []byte(`{"message": {"type": "tool-calls", "toolCallList": [{"id": "toolu_1", "name": "lookup_order", "arguments": {"order_id": "A-17", "verbose": true}}], "call": {"id": "call-1", "customer": {"number": "+14155550123"}}}}`)
	header := http.Header{"X-Vapi-Secret": {benchVapiSecret}, "Content-Type": {"application/json"}}
	url := e.server.URL + "/v1/adapters/vapi/" + e.agentID
	measure(b, func() error { return e.post(url, body, header, `"result":"{`) })
}

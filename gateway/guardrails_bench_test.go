package gateway_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
)

// BenchmarkGuardrails measures what each guardrail adds to a call: the same
// tool (setupCall's get_order) through POST /v1/tools/{name}/call, one
// request at a time, plain and with one guardrail, in one run on each
// store. Besides the mean it reports p50-ns, p99-ns and x-plain: the p50
// as a multiple of the plain call's p50 measured just before.
//
//	go test ./gateway -run '^$' -bench BenchmarkGuardrails -benchtime 2000x
func BenchmarkGuardrails(b *testing.B) {
	benchStores(b, func(b *testing.B, newStore func(testing.TB) store.Store) {
		e := newBenchEnvQueue(b, newStore, true)
		key := e.setupCall()
		agents := e.must(200, "GET", "/v1/admin/agents", e.admin, nil)
		agentID := agents["items"].([]any)[0].(map[string]any)["id"].(string)
		guarded := []struct {
			name string
			set  map[string]any
		}{
			// Limits that never refuse: the cost of checking them.
			{"rate", map[string]any{"limits": []map[string]any{{"key": "user", "rate": "1000000/s"}}}},
			{"concurrency", map[string]any{"limits": []map[string]any{{"key": "tool", "concurrency": 1000}}}},
			{"rate_concurrency", map[string]any{"limits": []map[string]any{{"key": "user", "rate": "1000000/s"},
				{"key": "tool", "concurrency": 1000}}}},
			{"cache", map[string]any{"cache": map[string]any{"ttl_s": 3600}}},
			{"confirm", map[string]any{"confirm": map[string]any{"message": "Look up order {{args.order_id}}?"}}},
			{"approval", map[string]any{"approval": map[string]any{"required": true}}},
		}
		activated := []map[string]any{{"name": "get_order"}}
		for _, gt := range guarded {
			def := benchToolDef("get_order_"+gt.name, "backend")
			for k, v := range gt.set {
				def[k] = v
			}
			tool := e.must(201, "POST", "/v1/admin/tools", e.admin, def)
			e.must(200, "POST", "/v1/admin/tools/"+tool["id"].(string)+"/publish", e.admin, nil)
			activated = append(activated, map[string]any{"name": def["name"]})
		}
		e.must(200, "PATCH", "/v1/admin/agents/"+agentID, e.admin, map[string]any{"tools": activated})

		body := []byte(`{"arguments": {"order_id": "A-17", "verbose": true}, "context": {"tenant": "acme", "user_id": "+255700000001", "conversation_id": "call-1", "channel": "voice"}}`)
		var plain float64
		b.Run("plain", func(b *testing.B) {
			plain = measureP50(b, 0, e.poster("/v1/tools/get_order/call", key, body))
		})
		for _, gt := range guarded[:4] {
			b.Run(gt.name, func(b *testing.B) {
				measureP50(b, plain, e.poster("/v1/tools/get_order_"+gt.name+"/call", key, body))
			})
		}
		// confirm: the call that carries a valid token (consumed, then
		// sent); the call that asked for it is not timed.
		b.Run("confirm", func(b *testing.B) {
			url := "/v1/tools/get_order_confirm/call"
			var confirmed []byte
			ask := func() error {
				status, raw, err := e.do("POST", url, key, body)
				if err != nil || status != http.StatusOK {
					return errors.Join(err, &statusError{status})
				}
				var res struct{ Confirmation struct{ Token string } }
				if err := json.Unmarshal(raw, &res); err != nil || res.Confirmation.Token == "" {
					return errors.Join(err, errors.New("no confirmation token in "+string(raw)))
				}
				confirmed = bytes.Replace(body, []byte(`{"arguments"`), []byte(`{"confirmation_token": "`+res.Confirmation.Token+`", "arguments"`), 1)
				return nil
			}
			send := func() error {
				status, raw, err := e.do("POST", url, key, confirmed)
				if err == nil && (status != http.StatusOK || !bytes.Contains(raw, []byte(`"outcome":"success"`))) {
					err = errors.New("confirmed call: " + string(raw))
				}
				return err
			}
			measureP50With(b, plain, ask, send)
		})
		// approval: the request that answers at once (the run and its
		// approval stored), against a plain call that sends.
		b.Run("approval-request", func(b *testing.B) {
			post := e.poster("/v1/tools/get_order_approval/call", key, body)
			measureP50(b, plain, func() error {
				err := post()
				var se *statusError
				if errors.As(err, &se) && se.status == http.StatusAccepted {
					return nil
				}
				return errors.Join(err, errors.New("want 202"))
			})
		})
		if err := e.recorder.Flush(b.Context()); err != nil {
			b.Fatal(err)
		}
	})
}

// measureP50 runs call in b.Loop after a warm-up and reports p50-ns,
// p99-ns and, when plain is set, x-plain; it returns the p50.
func measureP50(b *testing.B, plain float64, call func() error) float64 {
	return measureP50With(b, plain, nil, call)
}

// measureP50With is measureP50 with an untimed step before each call.
func measureP50With(b *testing.B, plain float64, before, call func() error) float64 {
	step := func() (time.Duration, error) {
		if before != nil {
			if err := before(); err != nil {
				return 0, err
			}
		}
		start := time.Now()
		err := call()
		return time.Since(start), err
	}
	for range 200 { // warm the catalog, the pools and the store's cache
		if _, err := step(); err != nil {
			b.Fatal(err)
		}
	}
	latencies := make([]time.Duration, 0, 1<<14)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if before != nil {
			b.StopTimer()
			if err := before(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		start := time.Now()
		if err := call(); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(latencies)
	p50 := float64(latencies[len(latencies)/2].Nanoseconds())
	b.ReportMetric(p50, "p50-ns")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Nanoseconds()), "p99-ns")
	if plain > 0 {
		b.ReportMetric(p50/plain, "x-plain")
	}
	return p50
}

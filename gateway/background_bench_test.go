package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
)

// setupBackground publishes a background tool on a fast upstream and
// returns an agent key and a channel that receives one value per finished
// run (its callback).
func (e *benchEnv) setupBackground() (key string, done chan struct{}, callbackURL string) {
	e.tb.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"saved":true}`))
	}))
	e.tb.Cleanup(up.Close)
	done = make(chan struct{}, 1<<20)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		done <- struct{}{}
	}))
	e.tb.Cleanup(cb.Close)
	tool := e.must(201, "POST", "/v1/admin/tools", e.admin, map[string]any{
		"name": "save_note", "description": "Save the caller's note to the CRM, in the background.",
		"method": "POST", "url": up.URL + "/notes", "background": true,
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"text": map[string]any{"type": "string"}}}})
	e.must(200, "POST", "/v1/admin/tools/"+tool["id"].(string)+"/publish", e.admin, nil)
	agent := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "bot", "tools": []map[string]any{{"name": "save_note"}}})
	k := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "bot-key", "role": "agent", "agent_id": agent["id"]})
	return k["key"].(string), done, cb.URL
}

// BenchmarkBackground measures background calls on each store: how fast
// they are accepted (time to 202: validation, the run row and its River job
// in one transaction) and how fast queued jobs complete against a fast
// loopback upstream (10 workers; a run counts as complete when its
// callback, enqueued in the completion transaction, arrives).
func BenchmarkBackground(b *testing.B) {
	benchStores(b, func(b *testing.B, newStore func(testing.TB) store.Store) {
		e := newBenchEnvQueue(b, newStore, true)
		key, done, cbURL := e.setupBackground()
		body := []byte(`{"arguments": {"text": "hello"}, "callback_url": "` + cbURL + `"}`)
		b.Run("accept", func(b *testing.B) {
			for b.Loop() {
				if status, raw, err := e.do("POST", "/v1/tools/save_note/call", key, body); err != nil || status != 202 {
					b.Fatalf("call: %d %s %v", status, raw, err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accepted/s")
		})
		// Drain what the accept run queued before timing completions.
		drain(b, done, time.Minute)
		b.Run("complete", func(b *testing.B) {
			start := time.Now()
			for range b.N {
				if status, raw, err := e.do("POST", "/v1/tools/save_note/call", key, body); err != nil || status != 202 {
					b.Fatalf("call: %d %s %v", status, raw, err)
				}
			}
			for range b.N {
				select {
				case <-done:
				case <-time.After(time.Minute):
					b.Fatal("a queued run did not complete within a minute")
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "completed/s")
		})
	})
}

// drain empties done until it has been quiet for a second (bounded).
func drain(b *testing.B, done chan struct{}, limit time.Duration) {
	deadline := time.After(limit)
	for {
		select {
		case <-done:
		case <-time.After(time.Second):
			return
		case <-deadline:
			b.Fatal("queued runs did not drain")
		}
	}
}

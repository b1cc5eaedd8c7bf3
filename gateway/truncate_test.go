package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// TestResponseMaxBytesCut: a JSON object longer than response.max_bytes
// reaches the caller as an object still, its list cut short and marked,
// and the run says it was truncated.
func TestResponseMaxBytesCut(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		e := newEnv(t, newStore)
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
			items := make([]map[string]any, 100)
			for i := range items {
				items[i] = map[string]any{"id": fmt.Sprintf("order-%03d", i), "status": "shipped"}
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"customer": "c-1", "orders": items, "total": 100})
			return true
		})
		e.publishTool(map[string]any{"name": "orders", "description": "Lists a customer's orders; call it when the caller asks about their orders.",
			"method": "GET", "url": up.URL + "/orders", "response": map[string]any{"max_bytes": 400},
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{}}})
		_, key := e.agentWithKey("bot", "orders")
		r := e.must(200, "POST", "/v1/tools/orders/call", key, map[string]any{"arguments": map[string]any{}})
		var res struct {
			Result    map[string]any `json:"result"`
			Truncated bool           `json:"truncated"`
			RunID     string         `json:"run_id"`
		}
		if err := json.Unmarshal(r.raw, &res); err != nil {
			t.Fatalf("result is not an object: %v: %s", err, r.raw)
		}
		orders, _ := res.Result["orders"].([]any)
		if !res.Truncated || res.Result["customer"] != "c-1" || res.Result["total"] != 100.0 || len(orders) < 2 {
			t.Fatalf("cut result: %s", r.raw)
		}
		if last, _ := orders[len(orders)-1].(string); !strings.HasPrefix(last, "…[truncated: ") || !strings.HasSuffix(last, " more items]") {
			t.Errorf("the cut list does not end with its marker: %v", orders[len(orders)-1])
		}
		if raw, _ := json.Marshal(res.Result); len(raw) > 400 {
			t.Errorf("cut result has %d bytes, want at most 400", len(raw))
		}
		run := e.must(200, "GET", "/v1/admin/runs/"+res.RunID, e.admin, nil)
		if run.at("truncated") != true {
			t.Errorf("run not marked truncated: %s", run.raw)
		}
	})
}

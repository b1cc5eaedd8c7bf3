package gateway_test

import (
	"strings"
	"testing"

	"github.com/toolgate/toolgate/store/testdb"
)

func TestMetrics(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	up := newUpstream(t, nil)
	e.publishTool(map[string]any{"name": "ping", "description": "Ping the upstream to check that it is alive and well.", "url": up.URL})
	_, key := e.agentWithKey("bot", "ping")
	e.must(200, "POST", "/v1/tools/ping/call", key, map[string]any{})
	if r := e.do("GET", "/metrics", "", nil); r.status != 401 {
		t.Errorf("metrics without a key: %d, want 401", r.status)
	}
	if r := e.do("GET", "/metrics", key, nil); r.status != 403 {
		t.Errorf("metrics with an agent key: %d, want 403", r.status)
	}
	r := e.must(200, "GET", "/metrics", e.admin, nil)
	body := string(r.raw)
	for _, want := range []string{
		`toolgate_tool_calls_total{outcome="success",tool="ping"} 1`,
		"toolgate_tool_call_duration_seconds_bucket",
		"toolgate_upstream_duration_seconds_bucket",
		"toolgate_run_recorder_queue_depth",
		"toolgate_run_recorder_dropped_total 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/tools"
)

// runEngine measures the allocations of one whole Engine.Run (validate,
// render, bearer auth, the guarded loopback exchange, shaping, the run
// record queued on the recorder) with testing.Benchmark, against the bare
// guarded exchange of the same request (egress.Client.Do): what the engine
// allocates besides the HTTP client. Allocation counts do not depend on the
// machine's load.
func runEngine(ctx context.Context, cfg *config, out io.Writer, sum *summary) error {
	testing.Init()
	dir, err := os.MkdirTemp("", "toolgate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	upSrv, upURL, err := startUpstream()
	if err != nil {
		return err
	}
	defer upSrv.Close()
	gw, err := startGateway(ctx, gatewayOptions{dir: dir})
	if err != nil {
		return err
	}
	defer gw.stop(context.Background())
	if err := gw.connect(ctx, upURL); err != nil {
		return err
	}
	if err := gw.publish(ctx, getOrderTool(true)); err != nil {
		return err
	}
	_, agentID, err := gw.agentKey(ctx, "bench-bot", "get_order")
	if err != nil {
		return err
	}
	a := gw.app
	p, err := a.Catalog.AgentTool(ctx, gw.ws.ID, agentID, "get_order")
	if err != nil {
		return err
	}
	conn, err := a.Catalog.Connection(ctx, gw.ws.ID, "backend")
	if err != nil {
		return err
	}
	args := json.RawMessage(`{"order_id": "A-17", "verbose": true}`)
	var failure error
	engine := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res := a.Engine.Run(ctx, &tools.Call{WorkspaceID: gw.ws.ID, AgentID: agentID, Tool: p, Conn: conn, Arguments: args,
				Context: map[string]any{"tenant": "acme", "user_id": "+255700000001", "channel": "voice", "agent_id": agentID}})
			if res.Outcome != tools.OutcomeSuccess && failure == nil {
				failure = fmt.Errorf("Engine.Run: outcome %s: %+v", res.Outcome, res.Error)
			}
		}
	})
	if failure != nil {
		return failure
	}
	exchange := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, upURL+"/api/orders/A-17?verbose=true", nil)
			if err != nil {
				failure = err
				return
			}
			req.Header.Set("Authorization", "Bearer tok-123456")
			req.Header.Set("X-Tenant", "acme")
			resp, err := a.Client.Do(ctx, req, egress.Options{})
			if err != nil {
				failure = err
				return
			}
			_ = resp
		}
	})
	if failure != nil {
		return failure
	}
	if err := a.Recorder.Flush(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "Engine.Run:            %6d allocs/op %7d B/op %8.0f ns/op\n", engine.AllocsPerOp(), engine.AllocedBytesPerOp(), float64(engine.NsPerOp()))
	fmt.Fprintf(out, "egress exchange alone: %6d allocs/op %7d B/op %8.0f ns/op\n", exchange.AllocsPerOp(), exchange.AllocedBytesPerOp(), float64(exchange.NsPerOp()))
	fmt.Fprintf(out, "Engine.Run/exchange allocations: %.2fx; the engine's own: %d allocs\n",
		float64(engine.AllocsPerOp())/float64(exchange.AllocsPerOp()), engine.AllocsPerOp()-exchange.AllocsPerOp())
	sum.add("allocations of one Engine.Run", fmt.Sprintf("%d allocs, %d B (%.2fx the exchange)", engine.AllocsPerOp(), engine.AllocedBytesPerOp(),
		float64(engine.AllocsPerOp())/float64(exchange.AllocsPerOp())),
		fmt.Sprintf("egress exchange %d allocs", exchange.AllocsPerOp()), "≤ 140 allocs")
	return nil
}

// getOrderTool is the order lookup every call scenario makes: GET with a
// path argument, a query argument, a header from the caller context (when
// withContext: MCP calls carry no context) and two selected fields.
func getOrderTool(withContext bool) map[string]any {
	def := map[string]any{
		"name": "get_order", "description": "Look up an order's status and ETA once the caller gave the order id.",
		"method": "GET", "connection": "backend", "path": "/orders/{{args.order_id}}",
		"query": map[string]any{"verbose": "{{args.verbose}}"},
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{
			"order_id": map[string]any{"type": "string"}, "verbose": map[string]any{"type": "boolean"}},
			"required": []string{"order_id"}},
		"response": map[string]any{"select": []string{"order.status", "order.eta"}},
	}
	if withContext {
		def["headers"] = map[string]any{"X-Tenant": "{{context.tenant}}"}
	}
	return def
}

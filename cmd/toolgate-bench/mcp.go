package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// runMCP compares an MCP tools/call with a REST call of the same tool with
// the same arguments, in CPU per call (the whole process: the load
// generator sends both as plain HTTP POSTs, so its share is the same) and
// throughput. Each MCP connection has its own session, opened with
// initialize and notifications/initialized as the official SDK does.
func runMCP(ctx context.Context, cfg *config, out io.Writer, sum *summary) error {
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
	if err := gw.publish(ctx, getOrderTool(false)); err != nil {
		return err
	}
	key, _, err := gw.agentKey(ctx, "bench-bot", "get_order")
	if err != nil {
		return err
	}
	client := newLoadClient(cfg.concurrency)
	defer client.CloseIdleConnections()
	sessions := make([]http.Header, cfg.concurrency)
	for i := range sessions {
		if sessions[i], err = openMCPSession(ctx, client, gw.url+"/mcp", key); err != nil {
			return err
		}
	}
	rest := &target{name: "rest", method: http.MethodPost, url: gw.url + "/v1/tools/get_order/call",
		header: http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"}},
		body:   []byte(`{"arguments": {"order_id": "A-17", "verbose": true}}`),
		ok:     func(b []byte) bool { return strings.Contains(string(b), `"ok":true`) }}
	mcp := &target{name: "mcp", method: http.MethodPost, url: gw.url + "/mcp", headers: sessions,
		body: []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_order","arguments":{"order_id":"A-17","verbose":true}}}`),
		ok: func(b []byte) bool {
			return strings.Contains(string(b), `"result"`) && !strings.Contains(string(b), `"isError":true`)
		}}
	targets := []*target{rest, mcp}
	results, _, err := interleave(ctx, client, targets, cfg.concurrency, cfg.requests, cfg.rounds, cfg.duration, cfg.warmup)
	if err != nil {
		return err
	}
	printTable(out, targets, results)
	if err := checkErrors(results); err != nil {
		return err
	}
	if cfg.cpuProfile != "" {
		if _, err := profilePhase(ctx, cfg, client, mcp, cfg.cpuProfile+".mcp"); err != nil {
			return err
		}
	}
	r, m := results["rest"], results["mcp"]
	ratio := float64(m.cpuPerRequest()) / float64(r.cpuPerRequest())
	fmt.Fprintf(out, "MCP/REST CPU per call: %.2fx   throughput: %.2fx\n", ratio, m.throughput()/r.throughput())
	sum.add("MCP tools/call CPU per call, c="+fmt.Sprint(cfg.concurrency), fmt.Sprintf("%.2fx REST (%.0f µs)", ratio, float64(m.cpuPerRequest())/1e3),
		fmt.Sprintf("REST %.0f µs", float64(r.cpuPerRequest())/1e3), "≤ 1.5x")
	return nil
}

// openMCPSession initializes an MCP session and returns the headers of its
// requests.
func openMCPSession(ctx context.Context, client *http.Client, url, key string) (http.Header, error) {
	h := http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"},
		"Accept": {"application/json, text/event-stream"}}
	post := func(body string) (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		req.Header = h.Clone()
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		return resp, raw, err
	}
	resp, raw, err := post(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"toolgate-bench","version":"1"}}}`)
	if err != nil {
		return nil, err
	}
	session := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || session == "" {
		return nil, fmt.Errorf("MCP initialize: %s: %s", resp.Status, raw)
	}
	var msg struct {
		Result struct {
			ProtocolVersion string `json:"protocolVersion"`
		} `json:"result"`
	}
	_ = json.Unmarshal(bytes.TrimSpace(lastData(raw)), &msg)
	h.Set("Mcp-Session-Id", session)
	if msg.Result.ProtocolVersion != "" {
		h.Set("Mcp-Protocol-Version", msg.Result.ProtocolVersion)
	}
	resp, raw, err = post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("MCP notifications/initialized: %s: %s", resp.Status, raw)
	}
	return h, nil
}

// lastData is a JSON body, or the data of the last event of an SSE body.
func lastData(raw []byte) []byte {
	if !bytes.HasPrefix(raw, []byte("event:")) && !bytes.HasPrefix(raw, []byte("data:")) && !bytes.HasPrefix(raw, []byte("id:")) {
		return raw
	}
	var data []byte
	for line := range bytes.SplitSeq(raw, []byte("\n")) {
		if d, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			data = d
		}
	}
	return data
}

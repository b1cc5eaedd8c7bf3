package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store/testdb"
)

// mcpRaw speaks JSON-RPC to /mcp by hand, for what the Go SDK client does
// not send (tasks, unknown methods, broken requests).
type mcpRaw struct {
	t       *testing.T
	url     string // the /mcp endpoint
	client  *http.Client
	key     string
	session string
	version string
	nextID  atomic.Int64
}

// rpcReply is a decoded JSON-RPC answer.
type rpcReply struct {
	status int
	header http.Header
	raw    []byte
	// msg is the JSON-RPC response (the first message of an SSE answer).
	msg map[string]any
}

// code is the JSON-RPC error code, 0 when there is none.
func (r *rpcReply) code() int {
	e, _ := r.msg["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return int(c)
}

func (r *rpcReply) errMessage() string {
	e, _ := r.msg["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func (r *rpcReply) result() map[string]any {
	m, _ := r.msg["result"].(map[string]any)
	return m
}

// mcpRawAt opens a session at url (initialize and notifications/initialized).
func mcpRawAt(t *testing.T, url string, client *http.Client, key string) *mcpRaw {
	t.Helper()
	m := &mcpRaw{t: t, url: url, client: client, key: key}
	r := m.call("initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{"tasks": map[string]any{}},
		"clientInfo": map[string]any{"name": "raw", "version": "1"}})
	if r.status != http.StatusOK || r.msg["result"] == nil {
		t.Fatalf("initialize: status %d: %s", r.status, r.raw)
	}
	m.session = r.header.Get("Mcp-Session-Id")
	m.version, _ = r.result()["protocolVersion"].(string)
	if m.session == "" || m.version == "" {
		t.Fatalf("initialize answered no session or version: %v %s", r.header, r.raw)
	}
	if r := m.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`); r.status != http.StatusAccepted {
		t.Fatalf("notifications/initialized: status %d: %s", r.status, r.raw)
	}
	return m
}

// mcpRaw opens a raw session on e.
func (e *env) mcpRaw(key string) *mcpRaw {
	return mcpRawAt(e.t, e.server.URL+"/mcp", e.server.Client(), key)
}

// call sends a request with the next ID.
func (m *mcpRaw) call(method string, params any) *rpcReply {
	m.t.Helper()
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m.nextID.Add(1), "method": method, "params": params})
	if err != nil {
		m.t.Fatal(err)
	}
	return m.post(string(body))
}

// post sends a body with the session's headers (and extra header pairs).
func (m *mcpRaw) post(body string, headers ...string) *rpcReply {
	m.t.Helper()
	return m.send("POST", body, headers...)
}

func (m *mcpRaw) send(method, body string, headers ...string) *rpcReply {
	m.t.Helper()
	req, err := http.NewRequest(method, m.url, strings.NewReader(body))
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+m.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if m.session != "" {
		req.Header.Set("Mcp-Session-Id", m.session)
	}
	if m.version != "" {
		req.Header.Set("Mcp-Protocol-Version", m.version)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := m.client.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &rpcReply{status: resp.StatusCode, header: resp.Header, raw: raw}
	r.msg = firstMessage(resp.Header.Get("Content-Type"), raw)
	return r
}

// firstMessage decodes a JSON body, or the first data event of an SSE body.
func firstMessage(contentType string, raw []byte) map[string]any {
	var msg map[string]any
	if !strings.HasPrefix(contentType, "text/event-stream") {
		_ = json.Unmarshal(raw, &msg)
		return msg
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && json.Unmarshal([]byte(data), &msg) == nil {
			return msg
		}
	}
	return nil
}

// mustResult fails unless r is a JSON-RPC result.
func (r *rpcReply) mustResult(t *testing.T, what string) map[string]any {
	t.Helper()
	if r.status != http.StatusOK || r.msg["result"] == nil {
		t.Fatalf("%s: status %d: %s", what, r.status, r.raw)
	}
	return r.result()
}

func (r *rpcReply) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

// TestMCPCancelledNotificationStopsTheCall: notifications/cancelled naming a
// tools/call under way ends its upstream request, long before the tool's
// timeout.
func TestMCPCancelledNotificationStopsTheCall(t *testing.T) {
	e := newEnv(t, testdb.SQLite)
	entered, ended := make(chan struct{}), make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		close(entered)
		<-r.Context().Done()
		close(ended)
		return true
	})
	e.publishTool(map[string]any{"name": "hang", "description": "Wait for the slow system.", "method": "GET",
		"url": up.URL + "/hang", "timeout_ms": 60000, "input_schema": map[string]any{"type": "object"}})
	_, key := e.agentWithKey("bot", "hang")
	m := e.mcpRaw(key)

	answered := make(chan error, 1)
	go func() {
		req, err := http.NewRequest("POST", m.url, strings.NewReader(
			`{"jsonrpc":"2.0","id":"call-7","method":"tools/call","params":{"name":"hang","arguments":{}}}`))
		if err != nil {
			answered <- err
			return
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Session-Id", m.session)
		req.Header.Set("Mcp-Protocol-Version", m.version)
		resp, err := m.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		answered <- err
	}()
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the call never reached the upstream")
	}
	if r := m.post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"call-7","reason":"caller hung up"}}`); r.status != http.StatusAccepted {
		t.Fatalf("notifications/cancelled: %d %s", r.status, r.raw)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream request was still open 10 s after notifications/cancelled")
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
}

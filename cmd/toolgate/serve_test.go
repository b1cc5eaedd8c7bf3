package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer the server's goroutines write to while a test
// reads it; every write signals changed.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveInProcess runs `toolgate serve` in this process until the test
// ends and returns its base URL and its log.
func serveInProcess(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	logs := &syncBuffer{changed: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), envOf(env), stdoutW, logs)
		stdoutW.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdoutR)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "toolgate listening on "); ok {
				addr <- u
			}
		}
		close(addr)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case u, ok := <-addr:
		if !ok {
			t.Fatalf("serve stopped before listening: %v\n%s", <-done, logs)
		}
		return u, logs
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start:\n%s", logs)
		return "", nil
	}
}

// TestServeJSONLogs: with -log-format json every line of the log is a JSON
// object, and each request has its access line, health probes at debug.
func TestServeJSONLogs(t *testing.T) {
	db := filepath.Join(t.TempDir(), "toolgate.db")
	url, logs := serveInProcess(t, map[string]string{
		"TOOLGATE_DATABASE_URL": db, "TOOLGATE_ADMIN_KEY": "tg_serve_test_admin_key_0001", "TOOLGATE_LOG_LEVEL": "debug",
	}, "-log-format", "json")
	for path, want := range map[string]int{"/readyz": 200, "/healthz": 200, "/v1/tools?api_key=hunter2": 401} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	// A line is written as its request ends: wait for the three.
	timeout := time.After(10 * time.Second)
	var requests map[string]map[string]any
	for {
		requests = map[string]map[string]any{}
		for line := range strings.Lines(logs.String()) {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line is not JSON: %q", line)
			}
			if rec["msg"] == "request" {
				requests[rec["route"].(string)] = rec
			}
		}
		if len(requests) == 3 {
			break
		}
		select {
		case <-logs.changed:
			continue
		case <-timeout:
		}
		break
	}
	for route, level := range map[string]string{"/readyz": "DEBUG", "/healthz": "DEBUG", "/v1/tools": "INFO"} {
		rec := requests[route]
		if rec == nil {
			t.Errorf("no access log line for %s in\n%s", route, logs)
			continue
		}
		if rec["level"] != level || rec["method"] != "GET" || rec["status"] == nil || rec["duration_ms"] == nil || rec["bytes"] == nil {
			t.Errorf("access line of %s: %v", route, rec)
		}
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Errorf("the query string was logged:\n%s", logs)
	}
}

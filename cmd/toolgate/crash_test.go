package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const adminKey = "tg_crash_test_admin_key_000001"

// binary builds the toolgate binary once per test.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "toolgate")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// gateway is a running toolgate process.
type gateway struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
}

// start runs the binary and waits until it says where it listens.
func start(t *testing.T, bin string, env ...string) *gateway {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "toolgate listening on "); ok {
				ready <- addr
			}
		}
	}()
	select {
	case u := <-ready:
		return &gateway{cmd: cmd, url: u, logs: logs}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("toolgate did not start:\n%s", logs)
		return nil
	}
}

func (g *gateway) api(t *testing.T, method, path, key string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, g.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestCrashLosesNoRun queues 200 background calls against a slow upstream,
// kills the gateway with SIGKILL mid-way, restarts it, and proves every run
// ends succeeded, exactly once in the store, with the upstream having seen
// every run ID.
func TestCrashLosesNoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary twice")
	}
	const calls = 200
	var mu sync.Mutex
	seen := map[string]int{}
	progress := make(chan struct{}, calls*4)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("X-Toolgate-Run-Id")]++
		mu.Unlock()
		progress <- struct{}{}
		select { // a slow CRM
		case <-time.After(150 * time.Millisecond):
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"saved":true}`)
	}))
	defer upstream.Close()
	delivered := make(chan string, calls*4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var res struct {
			RunID  string `json:"run_id"`
			Status string `json:"status"`
		}
		_ = json.NewDecoder(r.Body).Decode(&res)
		if res.Status == "succeeded" {
			delivered <- res.RunID
		}
	}))
	defer receiver.Close()

	bin := binary(t)
	dir := t.TempDir()
	env := []string{
		"TOOLGATE_ADDR=127.0.0.1:0",
		"TOOLGATE_DATABASE_URL=" + filepath.Join(dir, "toolgate.db"),
		"TOOLGATE_ADMIN_KEY=" + adminKey,
		"TOOLGATE_ALLOW_NETWORKS=127.0.0.0/8",
		"TOOLGATE_WORKERS=16",
		"TOOLGATE_JOB_RESCUE_AFTER=3s",
	}
	g := start(t, bin, env...)
	defer func() { g.cmd.Process.Kill(); g.cmd.Wait() }()

	st, tool := g.api(t, "POST", "/v1/admin/tools", adminKey, map[string]any{
		"name": "save_note", "description": "Save the caller's note to the slow CRM, in the background.",
		"method": "POST", "url": upstream.URL + "/notes", "background": true, "timeout_ms": 2000,
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"i": map[string]any{"type": "integer"}}}})
	if st != 201 {
		t.Fatalf("create tool: %d %v", st, tool)
	}
	if st, _ := g.api(t, "POST", "/v1/admin/tools/"+tool["id"].(string)+"/publish", adminKey, nil); st != 200 {
		t.Fatalf("publish: %d", st)
	}
	_, agent := g.api(t, "POST", "/v1/admin/agents", adminKey, map[string]any{"name": "bot", "tools": []any{map[string]any{"name": "save_note"}}})
	_, key := g.api(t, "POST", "/v1/admin/keys", adminKey, map[string]any{"name": "k", "role": "agent", "agent_id": agent["id"]})
	agentKey := key["key"].(string)

	runIDs := make([]string, 0, calls)
	for i := range calls {
		st, r := g.api(t, "POST", "/v1/tools/save_note/call", agentKey, map[string]any{"arguments": map[string]any{"i": i}, "callback_url": receiver.URL})
		if st != 202 {
			t.Fatalf("call %d: %d %v", i, st, r)
		}
		runIDs = append(runIDs, r["run_id"].(string))
	}
	// Kill it mid-way: once the upstream has seen a quarter of the runs.
	for range calls / 4 {
		select {
		case <-progress:
		case <-time.After(60 * time.Second):
			t.Fatal("upstream saw too little before the kill")
		}
	}
	if err := g.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	g.cmd.Wait()

	g = start(t, bin, env...)
	got := map[string]bool{}
	deadline := time.After(3 * time.Minute)
	for len(got) < calls {
		select {
		case id := <-delivered:
			got[id] = true
		case <-deadline:
			t.Fatalf("only %d of %d runs finished after the restart\n%s", len(got), calls, g.logs)
		}
	}
	for _, id := range runIDs {
		if !got[id] {
			t.Errorf("run %s never finished", id)
		}
	}
	mu.Lock()
	for _, id := range runIDs {
		if seen[id] == 0 {
			t.Errorf("upstream never saw run %s", id)
		}
	}
	mu.Unlock()
	// Exactly one record per run, all succeeded, none left running; each
	// lists every attempt the upstream saw.
	var succeeded, total int
	attempts := map[string][]map[string]any{}
	cursor := ""
	for range 100 {
		st, page := g.api(t, "GET", "/v1/admin/runs?limit=500&cursor="+cursor, adminKey, nil)
		if st != 200 {
			t.Fatalf("list runs: %d", st)
		}
		for _, it := range page["items"].([]any) {
			run := it.(map[string]any)
			total++
			if run["status"] == "succeeded" {
				succeeded++
			}
			list, _ := run["attempts"].([]any)
			for _, a := range list {
				attempts[run["id"].(string)] = append(attempts[run["id"].(string)], a.(map[string]any))
			}
		}
		if cursor, _ = page["next_cursor"].(string); cursor == "" {
			break
		}
	}
	if total != calls || succeeded != calls {
		t.Errorf("runs recorded: %d (%d succeeded), want %d succeeded exactly once each", total, succeeded, calls)
	}
	retried, interrupted := 0, 0
	mu.Lock()
	for _, id := range runIDs {
		if seen[id] > 1 {
			retried++
		}
		list := attempts[id]
		// A run's attempts may outnumber the upstream's requests (a worker
		// can die after recording an attempt and before sending it), never
		// the other way round.
		if len(list) < seen[id] {
			t.Errorf("run %s: upstream saw %d requests, the record lists %d attempts: %v", id, seen[id], len(list), list)
			continue
		}
		for i, a := range list {
			if n, _ := a["attempt"].(float64); int(n) != i+1 {
				t.Errorf("run %s: attempt %d is numbered %v: %v", id, i+1, a["attempt"], list)
			}
			outcome := a["outcome"]
			switch {
			case i == len(list)-1 && outcome != "success":
				t.Errorf("run %s: last attempt has outcome %v, want success: %v", id, outcome, list)
			case i < len(list)-1 && (outcome == "running" || outcome == "success"):
				t.Errorf("run %s: earlier attempt %d has outcome %v: %v", id, i+1, outcome, list)
			case outcome == "interrupted":
				interrupted++
			}
		}
	}
	mu.Unlock()
	t.Logf("%d runs were attempted more than once (at-least-once across the crash); %d interrupted attempts recorded", retried, interrupted)
}

// Package e2e runs the Node end-to-end suites (official MCP and OpenAI client
// SDKs, and Playwright driving Debian's Chromium) against the real binary.
package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestNode builds toolgate and runs `node --test` over e2e/*.test.mjs. It
// skips when Node or the npm packages are missing (`npm ci` in e2e/), except
// under CI=true, where it fails.
func TestNode(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end suites")
	}
	need := func(ok bool, msg string) {
		if ok {
			return
		}
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	need(err == nil, "node is not installed")
	_, err = os.Stat("node_modules")
	need(err == nil, "e2e/node_modules is missing: run `npm ci` in e2e/")
	files, _ := filepath.Glob("*.test.mjs")
	need(len(files) > 0, "no e2e/*.test.mjs suites")

	bin := filepath.Join(t.TempDir(), "toolgate")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/toolgate").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Screenshots and other artifacts (gitignored; CI keeps the folder).
	artifacts, _ := filepath.Abs("artifacts")
	args := append([]string{"--test", "--test-concurrency=1", "--test-reporter=spec"}, files...)
	cmd := exec.Command(node, args...)
	cmd.Env = append(os.Environ(), "TOOLGATE_BIN="+bin, "TOOLGATE_ARTIFACTS="+artifacts)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test output:\n%s", out)
	if err != nil {
		t.Fatalf("node suites failed: %v", err)
	}
}

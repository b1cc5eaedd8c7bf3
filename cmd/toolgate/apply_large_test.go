package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestApplyGitHub applies a large workspace: GitHub's REST description
// imported into one gateway (about 1,100 draft tools), exported, and
// applied to another. apply says what it does as it goes (its phases, a
// bounded number of progress lines, the validations' progress) and ends
// with a summary; applying the export again, to either gateway, writes
// nothing.
func TestApplyGitHub(t *testing.T) {
	skipUnderRace(t)
	doc := npmPath(t, githubDescription)
	src := newTestGateway(t)
	if out, _, err := src.run(src.env(), "import", "openapi", doc, "-connection", "github", "-prefix", "gh_"); err != nil {
		t.Fatalf("import: %v\n%s", err, out[max(0, len(out)-2000):])
	}
	file := filepath.Join(t.TempDir(), "github.yaml")
	start := time.Now()
	if _, stderr, err := src.run(src.env(), "export", "-o", file); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	exported := time.Since(start)
	tools := len(src.listAll("/v1/admin/tools"))

	dst := newTestGateway(t)
	start = time.Now()
	out, _, err := dst.run(dst.env(), "apply", "-f", file)
	applied := time.Since(start)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, tail(out))
	}
	// Its phases, in order.
	phases := []string{
		fmt.Sprintf("read %d objects in 1 file: 1 connection, %d tools\n", tools+1, tools),
		"gateway " + dst.url + " has 0 connections, 0 tools, 0 agents, 0 flows\n",
		"+ connection github\n",
		fmt.Sprintf("applying %d changes\n", tools+1),
		fmt.Sprintf("[%d/%d] created tool ", tools+1, tools+1),
		fmt.Sprintf("validating %d tools\n", tools),
		fmt.Sprintf("validated %d of %d tools\n", tools, tools),
		fmt.Sprintf(": %d created, 0 updated, 0 deleted, 0 unchanged, 0 published; 0 errors, ", tools+1),
	}
	at := 0
	for _, phase := range phases {
		i := strings.Index(out[at:], phase)
		if i < 0 {
			t.Fatalf("the output lacks %q after byte %d:\n%s", phase, at, tail(out))
		}
		at += i + len(phase)
	}
	counters := len(regexp.MustCompile(`(?m)^\[\d+/\d+\] `).FindAllString(out, -1))
	validated := strings.Count(out, "\nvalidated ")
	if counters > progressLinesMax || counters < progressLinesMax/2 || validated > validateReportsMax || validated < validateReportsMax/2 ||
		len(planLines(out)) != tools+1 {
		t.Errorf("%d progress lines, %d validation lines and %d plan lines for %d tools", counters, validated, len(planLines(out)), tools)
	}
	if got := len(dst.listAll("/v1/admin/tools")); got != tools {
		t.Errorf("the other gateway has %d tools, want %d", got, tools)
	}

	// Again, to either gateway: every object is unchanged.
	for _, g := range []*testGateway{dst, src} {
		writes := g.writeCount()
		out, _, err := g.run(g.env(), "apply", "-f", file)
		if err != nil || len(g.writesSince(writes)) > 0 || strings.Count(out, "\n= tool ") != tools ||
			!strings.Contains(out, fmt.Sprintf("0 created, 0 updated, 0 deleted, %d unchanged", tools+1)) {
			t.Errorf("applying the export again to %s: %v, %d writes\n%s", g.url, err, len(g.writesSince(writes)), tail(out))
		}
	}
	t.Logf("%d tools: exported in %s, applied to an empty gateway in %s", tools, exported.Round(time.Millisecond), applied.Round(time.Millisecond))
}

// tail is the end of a long output.
func tail(out string) string { return out[max(0, len(out)-3000):] }

// listAll reads every page of an admin list, through the client the
// commands use.
func (g *testGateway) listAll(path string) []json.RawMessage {
	g.t.Helper()
	items, err := newAdminClient(&config{GatewayURL: g.url, AdminKey: g.key}).list(context.Background(), path)
	if err != nil {
		g.t.Fatal(err)
	}
	return items
}

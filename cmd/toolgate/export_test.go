package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readTree reads every file under dir: path relative to dir → content.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// workspaceOf reads a workspace's files as apply does: each object's
// normalized form and the keys of its secrets, by kind and name.
func workspaceOf(t *testing.T, env map[string]string, paths ...string) map[string]any {
	t.Helper()
	objects, _, findings := readWorkspace(paths)
	for _, f := range findings {
		t.Errorf("reading %v: %v", paths, f)
	}
	out := map[string]any{}
	for _, o := range objects {
		d, found := prepare(o, envOf(env))
		for _, f := range found {
			t.Errorf("reading %v: %v", paths, f)
		}
		if d == nil {
			continue
		}
		var secrets []string
		for _, s := range d.secrets {
			secrets = append(secrets, s.key)
		}
		slices.Sort(secrets)
		out[o.label()] = map[string]any{"fields": d.norm.m, "secrets": secrets}
	}
	return out
}

// TestExportRoundTrip: apply then export gives back the workspace
// (secrets aside: they come back as references), in every format; the
// export applies to another gateway, which exports the same bytes; and
// applying an export to its own gateway changes nothing.
func TestExportRoundTrip(t *testing.T) {
	g := newTestGateway(t)
	src := writeFiles(t, t.TempDir(), withFlows())
	env := g.env(append(fixtureEnv, "SUPPORT_BOT_VAPI_SECRET", "another-vapi-secret")...)
	if out, _, err := g.run(env, "apply", "-f", src, "-publish"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}

	exported := filepath.Join(t.TempDir(), "workspace")
	writeFiles(t, exported, map[string]string{"tools/gone.yaml": "kind: tool\nname: gone\n", "flows/bot/gone.yaml": "kind: flow\n",
		"README.md": "mine"})
	_, stderr, err := g.run(env, "export", "-o", exported)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	for _, want := range []string{"exported 1 connection, 2 tools, 1 agent and 1 flow to " + exported, "removed 2 files",
		"set BACKEND_TOKEN, SUPPORT_BOT_VAPI_SECRET to apply it"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("export said %q, want %q in it", stderr, want)
		}
	}
	if _, err := os.Stat(filepath.Join(exported, "flows", "bot")); !os.IsNotExist(err) {
		t.Errorf("the emptied directory of a gone agent's flows is still there: %v", err)
	}
	tree := readTree(t, exported)
	var names []string
	for name := range tree {
		names = append(names, name)
	}
	slices.Sort(names)
	wantNames := []string{"README.md", "agents/support-bot.yaml", "connections/backend.yaml", "flows/support-bot/Order_status.yaml",
		"tools/get_order.yaml", "tools/save_lead.yaml"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Fatalf("exported files (-want +got):\n%s", diff)
	}
	wantConnection := `kind: connection
name: backend
base_url: http://127.0.0.1:9000
headers:
  X-Client: toolgate
auth:
  type: bearer
secrets:
  token: ${BACKEND_TOKEN}
`
	if diff := cmp.Diff(wantConnection, tree["connections/backend.yaml"]); diff != "" {
		t.Errorf("exported connection (-want +got):\n%s", diff)
	}
	if !strings.Contains(tree["agents/support-bot.yaml"], "adapters:\n  vapi:\n    secret: ${SUPPORT_BOT_VAPI_SECRET}\n") {
		t.Errorf("exported agent:\n%s", tree["agents/support-bot.yaml"])
	}
	// A flow names its agent, and its definition keeps the order it was
	// written in.
	if flow := tree["flows/support-bot/Order_status.yaml"]; !strings.HasPrefix(flow, "kind: flow\nname: Order status\nagent: support-bot\nflow:\n  start: ask_order\n  states:\n    ask_order:\n      message: ") {
		t.Errorf("exported flow:\n%s", flow)
	}
	for name, content := range tree {
		for _, secret := range []string{"s3cr3t-token", "long-random-vapi-secret"} {
			if strings.Contains(content, secret) {
				t.Errorf("%s holds a secret's value", name)
			}
		}
	}

	// The export is the applied workspace.
	if diff := cmp.Diff(workspaceOf(t, env, src), workspaceOf(t, env, exported)); diff != "" {
		t.Errorf("applied and exported workspaces differ (-applied +exported):\n%s", diff)
	}
	// Applying it to the same gateway changes nothing.
	writes := g.writeCount()
	out, _, err := g.run(env, "apply", "-f", exported, "-publish")
	if err != nil || len(g.writesSince(writes)) > 0 || len(planLines(out)) != 5 || strings.Contains(out, "\n~ ") || strings.Contains(out, "\n+ ") {
		t.Errorf("applying the export: %v, writes %v\n%s", err, g.writesSince(writes), out)
	}
	// An export is stable.
	if _, _, err := g.run(env, "export", "-o", exported); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tree, readTree(t, exported)); diff != "" {
		t.Errorf("a second export differs (-first +second):\n%s", diff)
	}

	// The single-file formats hold the same workspace.
	for _, name := range []string{"workspace.json", "workspace.yaml"} {
		file := filepath.Join(t.TempDir(), name)
		if _, _, err := g.run(env, "export", "-o", file); err != nil {
			t.Fatalf("export -o %s: %v", name, err)
		}
		if diff := cmp.Diff(workspaceOf(t, env, exported), workspaceOf(t, env, file)); diff != "" {
			t.Errorf("%s differs from the directory (-dir +file):\n%s", name, diff)
		}
	}
	stdout, _, err := g.run(env, "export", "-format", "json")
	if err != nil || !strings.HasPrefix(stdout, "[\n  {\n    \"kind\": \"connection\",\n    \"name\": \"backend\"") {
		t.Errorf("export -format json: %v\n%s", err, stdout)
	}

	// Another gateway given the JSON export exports the same files.
	other := newTestGateway(t)
	file := filepath.Join(t.TempDir(), "workspace.json")
	if _, _, err := g.run(env, "export", "-o", file); err != nil {
		t.Fatal(err)
	}
	if out, _, err := other.run(other.env("BACKEND_TOKEN", "t", "SUPPORT_BOT_VAPI_SECRET", "v"), "apply", "-f", file, "-publish"); err != nil {
		t.Fatalf("applying the export to another gateway: %v\n%s", err, out)
	}
	again := filepath.Join(t.TempDir(), "again")
	if _, _, err := other.run(other.env(), "export", "-o", again); err != nil {
		t.Fatal(err)
	}
	delete(tree, "README.md")
	if diff := cmp.Diff(tree, readTree(t, again)); diff != "" {
		t.Errorf("the other gateway's export differs (-first +other):\n%s", diff)
	}
}

// TestExportUsage: export's command line.
func TestExportUsage(t *testing.T) {
	g := newTestGateway(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "-format", "xml"}, "-format must be yaml or json"},
		{[]string{"export", "-o", "w.json", "-format", "yaml"}, "-format yaml does not match w.json"},
		{[]string{"export", "extra"}, "export takes no arguments"},
	} {
		if _, _, err := g.run(g.env(), tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
	// An empty workspace exports as nothing.
	stdout, stderr, err := g.run(g.env(), "export")
	if err != nil || stdout != "" || !strings.Contains(stderr, "exported 0 connections, 0 tools, 0 agents and 0 flows") {
		t.Errorf("exporting nothing: %v %q %q", err, stdout, stderr)
	}
}

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

// TestExportSecretVariables: secrets whose variables would share a name
// (connections a-b and a_b's tokens; connection support_bot's vapi_secret
// and agent support-bot's vapi.secret) get distinct names, the same at
// every export, and each is listed once.
func TestExportSecretVariables(t *testing.T) {
	g := newTestGateway(t)
	conn := func(name, secret, env string) string {
		return "kind: connection\nname: " + name + "\nbase_url: https://x.example.com\nsecrets:\n  " + secret + ": ${" + env + "}\n"
	}
	src := writeFiles(t, t.TempDir(), map[string]string{
		"a.yaml":   conn("a_b", "token", "ONE"),
		"b.yaml":   conn("a-b", "token", "TWO"),
		"c.yaml":   conn("support_bot", "vapi_secret", "THREE"),
		"d.yaml":   conn("a_b_token", "2", "FOUR"),
		"bot.yaml": "kind: agent\nname: support-bot\nadapters:\n  vapi: {secret: \"${FIVE}\"}\n",
	})
	env := g.env("ONE", "1", "TWO", "2", "THREE", "3", "FOUR", "4", "FIVE", "5")
	if out, _, err := g.run(env, "apply", "-f", src); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	var first string
	for range 2 {
		stdout, stderr, err := g.run(g.env(), "export")
		if err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = stdout
		} else if stdout != first {
			t.Errorf("a second export differs:\n%s\n%s", first, stdout)
		}
		if want := "set A_B_TOKEN, A_B_TOKEN_3, A_B_TOKEN_2, SUPPORT_BOT_VAPI_SECRET, SUPPORT_BOT_VAPI_SECRET_2 to apply it"; !strings.Contains(stderr, want) {
			t.Errorf("export said %q, want %q", stderr, want)
		}
	}
	for _, want := range []string{"name: a-b\n", "token: ${A_B_TOKEN}\n", "name: a_b\n", "token: ${A_B_TOKEN_3}\n",
		"name: a_b_token\n", "'2': ${A_B_TOKEN_2}\n", "vapi_secret: ${SUPPORT_BOT_VAPI_SECRET}\n", "secret: ${SUPPORT_BOT_VAPI_SECRET_2}\n"} {
		if !strings.Contains(first, want) {
			t.Errorf("the export lacks %q:\n%s", want, first)
		}
	}
	// The export applies to another gateway, each secret from its variable.
	file := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(file, []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	other := newTestGateway(t)
	out, _, err := other.run(other.env("A_B_TOKEN", "1", "A_B_TOKEN_2", "2", "A_B_TOKEN_3", "3", "SUPPORT_BOT_VAPI_SECRET", "4",
		"SUPPORT_BOT_VAPI_SECRET_2", "5"), "apply", "-f", file)
	if err != nil {
		t.Errorf("applying the export: %v\n%s", err, out)
	}
}

// TestExportKeepsOtherFiles: export -o DIR replaces the files of objects
// of each directory's kind, and leaves every other file alone.
func TestExportKeepsOtherFiles(t *testing.T) {
	g := newTestGateway(t)
	env := g.env(fixtureEnv...)
	if out, _, err := g.run(env, "apply", "-f", writeFiles(t, t.TempDir(), workspaceFixture)); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	dir := t.TempDir()
	others := map[string]string{
		"tools/notes.yaml":        "title: my notes\n",
		"tools/settings.json":     `{"a": 1}`,
		"tools/an-agent.yaml":     "kind: agent\nname: old\n",
		"tools/mixed.yaml":        "- kind: tool\n  name: old\n- kind: agent\n  name: old\n",
		"tools/broken.yaml":       "kind: [tool\n",
		"connections/empty.yaml":  "# nothing yet\n",
		"flows/bot/schema.json":   `{"type": "object"}`,
		"agents/list-of-str.yaml": "- a\n- b\n",
	}
	writeFiles(t, dir, others)
	writeFiles(t, dir, map[string]string{"tools/old.yaml": "kind: tool\nname: old\n", "agents/old.json": `[{"kind": "agent", "name": "x"}]`})
	_, stderr, err := g.run(g.env(), "export", "-o", dir)
	if err != nil || !strings.Contains(stderr, "removed 2 files") {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	tree := readTree(t, dir)
	for name, content := range others {
		if tree[name] != content {
			t.Errorf("%s is %q, want it kept: %q", name, tree[name], content)
		}
	}
	for _, name := range []string{"tools/old.yaml", "agents/old.json"} {
		if _, ok := tree[name]; ok {
			t.Errorf("%s, an object no longer on the gateway, is still there", name)
		}
	}
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// workspaceFiles is a workspace in files of every shape apply reads: YAML
// with several documents, a JSON list, a directory tree, $schema members,
// YAML-only numbers (0x20), secrets as references.
var workspaceFixture = map[string]string{
	"connections.yaml": `# The demo upstream.
kind: connection
$schema: https://gw.example.com/v1/schemas/connection.json
name: backend
base_url: http://127.0.0.1:9000
headers: {X-Client: toolgate}
auth: {type: bearer}
secrets:
  token: ${BACKEND_TOKEN}
`,
	"tools/get_order.yaml": `kind: tool
name: get_order
description: Look up an order's status and ETA. Call only after the caller has given the order id.
method: get
connection: backend
path: /orders/{{args.order_id}}
input_schema:
  type: object
  properties:
    order_id: {type: string, maxLength: 0x20}
  required: [order_id]
timeout_ms: 5000
`,
	"tools/more.json": `[
  {"kind": "tool", "name": "save_lead",
   "description": "Save the caller as a sales lead. Call once the caller agreed to be called back.",
   "method": "POST", "connection": "backend", "path": "/leads", "background": true,
   "body": {"phone": "{{args.phone_number}}"},
   "input_schema": {"type": "object", "properties": {"phone_number": {"type": "string"}}, "required": ["phone_number"]}}
]
`,
	"agents.yaml": `---
kind: agent
name: support-bot
instructions: Be brief.
tools:
  - name: get_order
  - name: save_lead
adapters:
  vapi: {secret: "${VAPI_SECRET}"}
`,
}

// fixtureEnv are the variables the fixture's secrets name.
var fixtureEnv = []string{"BACKEND_TOKEN", "s3cr3t-token", "VAPI_SECRET", "long-random-vapi-secret"}

// TestApply walks apply through a workspace's life: a dry run, the first
// apply, an apply that changes nothing, edits and deletes, secrets.
func TestApply(t *testing.T) {
	g := newTestGateway(t)
	dir := writeFiles(t, t.TempDir(), workspaceFixture)
	env := g.env(fixtureEnv...)

	// A dry run prints the plan and writes nothing.
	out, _, err := g.run(env, "apply", "-f", dir, "-dry-run", "-publish")
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	want := []string{"+ connection backend", "+ tool get_order: publish", "+ tool save_lead: publish", "+ agent support-bot"}
	if diff := cmp.Diff(want, planLines(out)); diff != "" {
		t.Errorf("dry run's plan (-want +got):\n%s\n%s", diff, out)
	}
	if n := g.writeCount(); n != 0 || !strings.Contains(out, "dry run, nothing written") {
		t.Fatalf("a dry run made %d writes:\n%s", n, out)
	}

	// The first apply creates everything, publishes the tools, and says
	// what it does as it goes.
	out, _, err = g.run(env, "apply", "-f", dir, "--publish")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if diff := cmp.Diff(want, planLines(out)); diff != "" {
		t.Errorf("plan (-want +got):\n%s\n%s", diff, out)
	}
	for _, line := range []string{"read 4 objects in 4 files: 1 connection, 2 tools, 1 agent", "[1/6] created connection backend",
		"published tool get_order: version 1", "[6/6] created agent support-bot", "4 created, 0 updated, 0 deleted, 0 unchanged, 2 published; 0 errors"} {
		if !strings.Contains(out, line) {
			t.Errorf("the output lacks %q:\n%s", line, out)
		}
	}
	tool := g.byName("tools", "get_order")
	if tool["status"] != "published" || tool["method"] != "GET" || tool["timeout_ms"] != 5000.0 {
		t.Errorf("get_order on the gateway: %v", tool)
	}
	if max := tool["input_schema"].(map[string]any)["properties"].(map[string]any)["order_id"].(map[string]any)["maxLength"]; max != 32.0 {
		t.Errorf("maxLength 0x20 arrived as %v", max)
	}
	conn := g.byName("connections", "backend")
	if conn["secrets"].(map[string]any)["token"].(map[string]any)["set"] != true {
		t.Errorf("the connection's token is not set: %v", conn)
	}
	agent := g.byName("agents", "support-bot")
	if agent["adapters"].(map[string]any)["vapi"].(map[string]any)["secret"].(map[string]any)["set"] != true {
		t.Errorf("the agent's vapi secret is not set: %v", agent)
	}

	// Applying the same files again changes nothing and writes nothing.
	writes := g.writeCount()
	out, _, err = g.run(env, "apply", "-f", dir, "-publish")
	if err != nil {
		t.Fatalf("second apply: %v\n%s", err, out)
	}
	unchanged := []string{"= connection backend", "= tool get_order", "= tool save_lead", "= agent support-bot"}
	if diff := cmp.Diff(unchanged, planLines(out)); diff != "" {
		t.Errorf("second plan (-want +got):\n%s\n%s", diff, out)
	}
	if got := g.writesSince(writes); len(got) > 0 {
		t.Errorf("the second apply wrote: %v", got)
	}

	// An edit updates the changed fields and publishes; a tool no longer
	// in the files is deleted with -prune, and the plan shows it.
	edited := strings.Replace(workspaceFixture["tools/get_order.yaml"], "timeout_ms: 5000", "timeout_ms: 6000\nread_only: true", 1)
	writeFiles(t, dir, map[string]string{
		"tools/get_order.yaml": edited,
		"agents.yaml":          strings.Replace(workspaceFixture["agents.yaml"], "  - name: save_lead\n", "", 1),
	})
	if err := os.Remove(filepath.Join(dir, "tools/more.json")); err != nil {
		t.Fatal(err)
	}
	out, _, err = g.run(env, "apply", "-f", dir, "-prune", "-publish", "-dry-run")
	if err != nil {
		t.Fatalf("dry run with -prune: %v\n%s", err, out)
	}
	wantEdit := []string{"= connection backend", "~ tool get_order: read_only, timeout_ms; publish", "~ agent support-bot: tools", "- tool save_lead"}
	if diff := cmp.Diff(wantEdit, planLines(out)); diff != "" {
		t.Errorf("plan of the edit (-want +got):\n%s\n%s", diff, out)
	}
	// Under each update, what changes.
	for _, want := range []string{
		"~ tool get_order: read_only, timeout_ms; publish\n    + read_only: true\n    - timeout_ms: 5000\n    + timeout_ms: 6000\n~ agent",
		"~ agent support-bot: tools\n    - tools: [{\"name\":\"get_order\"},{\"name\":\"save_lead\"}]\n    + tools: [{\"name\":\"get_order\"}]\n- tool",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan lacks %q:\n%s", want, out)
		}
	}
	if got := g.writesSince(writes); len(got) > 0 {
		t.Errorf("the dry run wrote: %v", got)
	}
	out, _, err = g.run(env, "apply", "-f", dir, "-prune", "-publish")
	if err != nil {
		t.Fatalf("apply with -prune: %v\n%s", err, out)
	}
	getOrder, saveLead, bot := tool["id"].(string), "", agent["id"].(string)
	if diff := cmp.Diff(wantEdit, planLines(out)); diff != "" {
		t.Errorf("plan of the edit (-want +got):\n%s\n%s", diff, out)
	}
	for _, w := range g.writesSince(writes) {
		if strings.HasPrefix(w, "DELETE /v1/admin/tools/") {
			saveLead = strings.TrimPrefix(w, "DELETE /v1/admin/tools/")
		}
	}
	wantWrites := []string{"PATCH /v1/admin/tools/" + getOrder, "POST /v1/admin/tools/" + getOrder + "/publish",
		"PATCH /v1/admin/agents/" + bot, "DELETE /v1/admin/tools/" + saveLead}
	if diff := cmp.Diff(wantWrites, g.writesSince(writes)); diff != "" || saveLead == "" {
		t.Errorf("writes of the edit (-want +got):\n%s", diff)
	}
	if tool := g.byName("tools", "get_order"); tool["version"] != 2.0 || tool["timeout_ms"] != 6000.0 || g.byName("tools", "save_lead") != nil {
		t.Errorf("after the edit: get_order %v, save_lead %v", tool, g.byName("tools", "save_lead"))
	}
	writes = g.writeCount()
	out, _, err = g.run(env, "apply", "-f", dir, "-prune", "-publish")
	if err != nil || len(g.writesSince(writes)) > 0 || strings.Contains(out, "~ ") {
		t.Errorf("applying the edit again: %v, writes %v\n%s", err, g.writesSince(writes), out)
	}

	// Secrets cannot be read back: one the gateway has is written again
	// only when asked; one the files drop is deleted with -prune.
	out, _, err = g.run(env, "apply", "-f", dir, "-update-secrets")
	if err != nil || !strings.Contains(out, "~ connection backend: secrets.token\n") || !strings.Contains(out, "~ agent support-bot: adapters.vapi.secret\n") {
		t.Errorf("-update-secrets: %v\n%s", err, out)
	}
	// A file without its secrets member says nothing of them: -prune
	// leaves them; with the member (empty), those it does not name go.
	writeFiles(t, dir, map[string]string{"connections.yaml": strings.Replace(workspaceFixture["connections.yaml"], "secrets:\n  token: ${BACKEND_TOKEN}\n", "", 1)})
	for _, args := range [][]string{nil, {"-prune"}} {
		out, _, err = g.run(env, append([]string{"apply", "-f", dir}, args...)...)
		if err != nil || !strings.Contains(out, "= connection backend\n") {
			t.Errorf("a secrets member left out of the files (%v): %v\n%s", args, err, out)
		}
	}
	writeFiles(t, dir, map[string]string{"connections.yaml": strings.Replace(workspaceFixture["connections.yaml"], "secrets:\n  token: ${BACKEND_TOKEN}\n", "secrets: {}\n", 1)})
	out, _, err = g.run(env, "apply", "-f", dir)
	if err != nil || !strings.Contains(out, "= connection backend\n") {
		t.Errorf("a secret left out of the files without -prune: %v\n%s", err, out)
	}
	out, _, err = g.run(env, "apply", "-f", dir, "-prune")
	if err != nil || !strings.Contains(out, "~ connection backend: secrets.token\n") {
		t.Errorf("a secret left out of the files with -prune: %v\n%s", err, out)
	}
	if conn := g.byName("connections", "backend"); conn["secrets"].(map[string]any)["token"].(map[string]any)["set"] != false {
		t.Errorf("the pruned token is still set: %v", conn)
	}
	// No secret is in any output: newTestGateway checks them all.
}

// TestApplyFileErrors: problems in the files are reported with the file,
// line, object and field, all of them at once, before anything is written.
func TestApplyFileErrors(t *testing.T) {
	g := newTestGateway(t)
	tests := []struct {
		name  string
		files map[string]string
		env   []string
		want  []string
	}{
		{"literal secret", map[string]string{"c.yaml": "kind: connection\nname: crm\nbase_url: https://crm.example.com\nsecrets:\n  token: hunter2-literal\n"}, nil,
			[]string{"c.yaml:5: connection crm: secrets.token: is a literal secret: secrets never go in files; write a ${ENV_VAR} reference"}},
		{"secret in a string", map[string]string{"c.yaml": "kind: connection\nname: crm\nbase_url: https://crm.example.com\nsecrets:\n  token: Bearer ${CRM_TOKEN}\n"},
			[]string{"CRM_TOKEN", "x"}, []string{"c.yaml:5: connection crm: secrets.token: is a literal secret"}},
		{"voice secret literal", map[string]string{"a.yaml": "kind: agent\nname: bot\nadapters:\n  vapi:\n    secret: hunter2-literal\n"}, nil,
			[]string{"a.yaml:5: agent bot: adapters.vapi.secret: is a literal secret"}},
		{"environment variable missing", map[string]string{"c.yaml": "kind: connection\nname: crm\nbase_url: https://crm.example.com\nsecrets:\n  token: ${CRM_TOKEN}\n"}, nil,
			[]string{"c.yaml:5: connection crm: secrets.token: the environment variable CRM_TOKEN is not set"}},
		{"unknown field", map[string]string{"t.yaml": "kind: tool\nname: t\ndescription: d\nresponse:\n  max_byte: 3\n"}, nil,
			[]string{"t.yaml:5: tool t: response.max_byte: unknown field: the API does not take it (see /v1/schemas/tool.json)"}},
		{"secrets on a tool", map[string]string{"t.yaml": "kind: tool\nname: t\ndescription: d\nsecrets: {k: v}\n"}, nil,
			[]string{"t.yaml:4: tool t: secrets: unknown field"}},
		{"wrong type", map[string]string{"t.json": `{"kind": "tool", "name": "t", "description": "d",` + "\n" + `"timeout_ms": "fast"}`}, nil,
			[]string{"t.json:2: tool t: timeout_ms: must be a whole number, not a string"}},
		{"fraction", map[string]string{"t.yaml": "kind: tool\nname: t\ndescription: d\nretry: {max_attempts: 2.5}\n"}, nil,
			[]string{"t.yaml:4: tool t: retry.max_attempts: must be a whole number, not 2.5"}},
		{"wrong nested type", map[string]string{"a.yaml": "kind: agent\nname: bot\ntools:\n  - name: [x]\n"}, nil,
			[]string{"a.yaml:4: agent bot: tools[0].name: must be a string, not a list"}},
		{"repeated YAML key", map[string]string{"t.yaml": "kind: tool\nname: a\nname: b\n"}, nil,
			[]string{`t.yaml:3: key "name" is repeated`}},
		{"repeated JSON member", map[string]string{"t.json": "{\"kind\": \"tool\",\n \"kind\": \"tool\"}"}, nil,
			[]string{`t.json:2: member "kind" is repeated`}},
		{"object twice", map[string]string{"t.yaml": "kind: tool\nname: t\ndescription: d\n", "u.yaml": "- kind: tool\n  name: t\n  description: e\n"}, nil,
			[]string{"u.yaml:2: tool t: name: is also the name of tool t at "}},
		{"no kind", map[string]string{"t.yaml": "name: t\ndescription: d\n"}, nil,
			[]string{"t.yaml:1: object t: kind: is required: connection, tool, agent or flow"}},
		{"unknown kind", map[string]string{"t.yaml": "kind: gadget\nname: g\n"}, nil,
			[]string{"t.yaml:1: object g: kind: must be connection, tool, agent or flow"}},
		{"no name", map[string]string{"t.yaml": "kind: tool\ndescription: d\n"}, nil,
			[]string{"t.yaml:1: tool #1: name: is required"}},
		{"not an object", map[string]string{"t.yaml": "- kind: tool\n  name: t\n  description: d\n- just text\n"}, nil,
			[]string{"t.yaml:4: object #2: must be an object (with a kind and its fields), not a string"}},
		{"infinity", map[string]string{"t.yaml": "kind: tool\nname: t\ndescription: d\ninput_schema: {type: object, maximum: .inf}\n"}, nil,
			[]string{"t.yaml:4: .inf is not a number JSON can hold"}},
		{"octal-looking number", map[string]string{"t.yaml": "kind: tool\nname: t\ndescription: d\nbody: {account: 02134}\n"}, nil,
			[]string{`t.yaml:4: body.account: 02134 would be read as an octal number; quote it ("02134") if it is text`}},
		{"YAML syntax", map[string]string{"t.yaml": "kind: tool\nname: [t\n"}, nil,
			[]string{"t.yaml:", "invalid YAML"}},
		{"flow without its agent", map[string]string{"f.yaml": "kind: flow\nname: greet\nflow: {start: a, states: {}}\n"}, nil,
			[]string{"f.yaml:1: flow greet: agent: is required: the name of the agent the flow belongs to"}},
		{"flow definition", map[string]string{"f.yaml": "kind: flow\nname: greet\nagent: bot\nflow:\n  start: a\n  states:\n    a: {mesage: hi, end: true}\n"}, nil,
			[]string{"f.yaml:7: flow greet (agent bot): flow.states.a.mesage: "}},
		{"flow's unknown field", map[string]string{"f.yaml": "kind: flow\nname: greet\nagent: bot\nversion: 2\n"}, nil,
			[]string{"f.yaml:4: flow greet (agent bot): version: unknown field: the API does not take it (see /v1/schemas/flow.json)"}},
		{"several at once", map[string]string{
			"a.yaml": "kind: tool\nname: a\ntimeout_ms: x\n",
			"b.yaml": "kind: connection\nname: b\nbase_url: https://b.example.com\nsecrets: {k: literal-value}\n"}, nil,
			[]string{"a.yaml:3: tool a: timeout_ms:", "b.yaml:4: connection b: secrets.k: is a literal secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, t.TempDir(), tt.files)
			out, _, err := g.run(g.env(tt.env...), "apply", "-f", dir)
			if err == nil || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("apply: %v, want an error saying nothing was written", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("the output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "hunter2") || strings.Contains(out, "literal-value") {
				t.Errorf("apply printed a literal secret:\n%s", out)
			}
			if n := g.writeCount(); n != 0 {
				t.Errorf("apply wrote %d times", n)
			}
		})
	}
}

// TestApplyGatewayErrors: what only the gateway can check (an agent's
// tools, a draft's validation, its own refusals) is reported with the
// file, line, object and field too; the objects it accepts are written.
func TestApplyGatewayErrors(t *testing.T) {
	g := newTestGateway(t)
	dir := writeFiles(t, t.TempDir(), map[string]string{"a.yaml": "kind: agent\nname: bot\ntools:\n  - name: get_order\n  - name: nope\n"})
	out, _, err := g.run(g.env(), "apply", "-f", dir)
	if err == nil || !strings.Contains(out, `a.yaml:5: agent bot: tools[1].name: no tool named "nope" in the files or on the gateway`) ||
		!strings.Contains(out, `tools[0].name: no tool named "get_order"`) || g.writeCount() != 0 {
		t.Errorf("apply: %v, %d writes\n%s", err, g.writeCount(), out)
	}

	dir = writeFiles(t, t.TempDir(), map[string]string{
		"tools.yaml": `- kind: tool
  name: good
  description: Look up the weather in a city once the caller named it.
  url: https://api.example.com/weather
- kind: tool
  name: two_targets
  description: Look up the weather in a city once the caller named it.
  url: https://api.example.com/weather
  path: /weather
- kind: tool
  name: bad name
  description: d
- kind: tool
  name: bad_schema
  description: Look up the weather in a city once the caller named it.
  url: https://api.example.com/weather
  input_schema: {type: object, properties: 5}
`})
	out, _, err = g.run(g.env(), "apply", "-f", dir, "-publish")
	if err == nil || !strings.Contains(err.Error(), "errors") {
		t.Errorf("apply: %v, want errors", err)
	}
	for _, want := range []string{
		"tools.yaml:8: tool two_targets: url: give either url or connection + path, not both",
		"tools.yaml:11: tool bad name: name: must match ^[a-zA-Z0-9_-]{1,64}$",
		"tools.yaml:17: tool bad_schema: input_schema.properties: must be an object",
		"published tool good: version 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if g.byName("tools", "good")["status"] != "published" || g.byName("tools", "two_targets")["status"] != "draft" {
		t.Errorf("the valid tool is not published, or the invalid one is")
	}
}

// TestApplyUsage: apply's command line.
func TestApplyUsage(t *testing.T) {
	g := newTestGateway(t)
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"apply"}, g.env(), "usage: toolgate apply -f FILE|DIR"},
		{[]string{"apply", "x.yaml"}, g.env(), "apply takes its files with -f"},
		{[]string{"apply", "-f", "x.yaml"}, map[string]string{"TOOLGATE_URL": g.url}, "TOOLGATE_ADMIN_KEY (-admin-key): is required"},
		{[]string{"apply", "-f", "x.yaml", "-url", "ftp://x"}, g.env(), "TOOLGATE_URL (-url)"},
		{[]string{"apply", "-f", "/nonexistent/x.yaml"}, g.env(), "nothing was written"},
	} {
		_, _, err := g.run(tt.env, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
	dir := writeFiles(t, t.TempDir(), map[string]string{"t.yaml": "kind: tool\nname: t\ndescription: d\nurl: https://x.example.com\n"})
	env := g.env()
	env["TOOLGATE_ADMIN_KEY"] = "tg_not_a_key_of_this_gateway_00"
	if _, _, err := g.run(env, "apply", "-f", dir); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a wrong key: %v", err)
	}
	env["TOOLGATE_URL"] = "http://127.0.0.1:1"
	if _, _, err := g.run(env, "apply", "-f", dir); err == nil || !strings.Contains(err.Error(), "cannot reach the gateway") {
		t.Errorf("no gateway: %v", err)
	}
}

// TestApplyProgress: hundreds of objects show a counter rather than a
// line each, and a second apply of them writes nothing.
func TestApplyProgress(t *testing.T) {
	g := newTestGateway(t)
	var b strings.Builder
	b.WriteString("[\n")
	const n = 240
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"kind": "tool", "name": "t%03d", "description": "Look up item %d once the caller named it.", "url": "https://api.example.com/items/%d"}`, i, i, i)
	}
	b.WriteString("\n]\n")
	dir := writeFiles(t, t.TempDir(), map[string]string{"many.json": b.String()})
	out, _, err := g.run(g.env(), "apply", "-f", dir)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	counters := 0
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "[") {
			counters++
		}
	}
	if counters > progressLinesMax || counters < progressLinesMax/2 || !strings.Contains(out, fmt.Sprintf("[%d/%d] created tool t%03d\n", n, n, n-1)) {
		t.Errorf("%d progress lines for %d writes, want about %d ending with the last:\n%s", counters, n, progressLinesMax, out)
	}
	// The validations that follow say how far they are, a tenth at a time.
	if v := strings.Count(out, "\nvalidated "); v != validateReportsMax || !strings.Contains(out, fmt.Sprintf("\nvalidating %d tools\n", n)) ||
		!strings.Contains(out, fmt.Sprintf("\nvalidated %d of %d tools\n", n, n)) {
		t.Errorf("%d validation progress lines for %d tools, want %d ending with the last:\n%s", v, n, validateReportsMax, out)
	}
	writes := g.writeCount()
	out, _, err = g.run(g.env(), "apply", "-f", dir)
	if err != nil || len(planLines(out)) != n || strings.Count(out, "\n= tool ") != n || len(g.writesSince(writes)) > 0 {
		t.Errorf("second apply: %v, writes %v\n%s", err, g.writesSince(writes), out)
	}
}

// TestValueDiff: the lines under an update show each changed leaf, long
// values cut, and no more than the limit.
func TestValueDiff(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name       string
		have, want map[string]any
		limit      int
		lines      []string
	}{
		{"nothing", map[string]any{"a": 1.0}, map[string]any{"a": 1.0}, 5, nil},
		{"nested", map[string]any{"a": map[string]any{"b": 1.0, "c": "x"}}, map[string]any{"a": map[string]any{"b": 2.0, "c": "x", "d": true}}, 5,
			[]string{"- a.b: 1", "+ a.b: 2", "+ a.d: true"}},
		{"list item", map[string]any{"l": []any{"a", "b"}}, map[string]any{"l": []any{"a", "<&>"}}, 5, []string{`- l[1]: "b"`, `+ l[1]: "<&>"`}},
		{"list length", map[string]any{"l": []any{"a"}}, map[string]any{"l": []any{"a", "b"}}, 5, []string{`- l: ["a"]`, `+ l: ["a","b"]`}},
		{"removed", map[string]any{"a": 1.0, "b": 2.0}, map[string]any{"b": 2.0}, 5, []string{"- a: 1"}},
		{"long", map[string]any{"a": long}, map[string]any{}, 5, []string{`- a: "` + strings.Repeat("x", planValueCharsMax-2) + "…"}},
		{"limit", map[string]any{"a": 1.0, "b": 1.0, "c": 1.0}, map[string]any{"a": 2.0, "b": 2.0, "c": 2.0}, 3,
			[]string{"- a: 1", "+ a: 2", "(4 more lines)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.lines, valueDiff(tt.have, tt.want, tt.limit)); diff != "" {
				t.Errorf("valueDiff (-want +got):\n%s", diff)
			}
		})
	}
}

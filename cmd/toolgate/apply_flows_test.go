package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// flowFixture is a flow of the fixture's agent, in YAML: it calls the
// fixture's get_order tool, which the agent activates.
var flowFixture = map[string]string{
	"flows/order.yaml": `kind: flow
name: Order status
agent: support-bot
flow:
  start: ask_order
  states:
    ask_order:
      message: What is your order number?
      input: {save_to: order_id}
      transitions: [{to: fetch_order}]
    fetch_order:
      actions:
        - type: API_CALL
          tool: get_order
          args: {order_id: "{{variables.order_id}}"}
          save_to: order
          success_transition: done
          failure_transition: done
    done: {message: "Your order is {{variables.order.status}}.", end: true}
`,
}

// withFlows is the fixture with its flow.
func withFlows() map[string]string {
	files := maps.Clone(workspaceFixture)
	maps.Copy(files, flowFixture)
	return files
}

// flowOf reads a flow of an agent from the gateway, with its definition.
func (g *testGateway) flowOf(agent, name string) map[string]any {
	g.t.Helper()
	a := g.byName("agents", agent)
	if a == nil {
		return nil
	}
	path := "agents/" + a["id"].(string) + "/flows"
	f := g.byName(path, name)
	if f == nil {
		return nil
	}
	var full map[string]any
	g.get("/v1/admin/"+path+"/"+f["id"].(string), &full)
	return full
}

// TestApplyFlows: flows are applied after the tools they call are
// published and their agent activates them; a second apply changes
// nothing; an edit updates the definition and publishes it; the
// gateway's validation of a flow names the file's field; -prune deletes
// the flows the files do not have.
func TestApplyFlows(t *testing.T) {
	g := newTestGateway(t)
	dir := writeFiles(t, t.TempDir(), withFlows())
	env := g.env(fixtureEnv...)

	out, _, err := g.run(env, "apply", "-f", dir, "-publish")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	want := []string{"+ connection backend", "+ tool get_order: publish", "+ tool save_lead: publish", "+ agent support-bot",
		"+ flow Order status (agent support-bot): publish"}
	if diff := cmp.Diff(want, planLines(out)); diff != "" {
		t.Errorf("plan (-want +got):\n%s\n%s", diff, out)
	}
	for _, line := range []string{"read 5 objects in 5 files: 1 connection, 2 tools, 1 agent, 1 flow",
		"created flow Order status (agent support-bot)\n", "[8/8] published flow Order status (agent support-bot): version 1\n",
		"5 created, 0 updated, 0 deleted, 0 unchanged, 3 published; 0 errors"} {
		if !strings.Contains(out, line) {
			t.Errorf("the output lacks %q:\n%s", line, out)
		}
	}
	flow := g.flowOf("support-bot", "Order status")
	if flow == nil || flow["status"] != "published" || flow["version"] != 1.0 ||
		flow["flow"].(map[string]any)["start"] != "ask_order" {
		t.Fatalf("the flow on the gateway: %v", flow)
	}
	flowURL := "/v1/admin/agents/" + flow["agent_id"].(string) + "/flows/" + flow["id"].(string)

	// Again: nothing changes.
	writes := g.writeCount()
	out, _, err = g.run(env, "apply", "-f", dir, "-publish")
	if err != nil || len(g.writesSince(writes)) > 0 || !strings.Contains(out, "\n= flow Order status (agent support-bot)\n") {
		t.Errorf("second apply: %v, writes %v\n%s", err, g.writesSince(writes), out)
	}

	// An edit of the definition replaces it and publishes version 2.
	flows := filepath.Join(dir, "flows/order.yaml")
	writeFiles(t, dir, map[string]string{"flows/order.yaml": strings.Replace(flowFixture["flows/order.yaml"],
		"What is your order number?", "Your order number, please?", 1)})
	out, _, err = g.run(env, "apply", "-f", dir, "-publish")
	if err != nil || !strings.Contains(out, "\n~ flow Order status (agent support-bot): flow; publish\n"+
		"    - flow.states.ask_order.message: \"What is your order number?\"\n    + flow.states.ask_order.message: \"Your order number, please?\"\n") {
		t.Errorf("apply of an edit: %v\n%s", err, out)
	}
	if diff := cmp.Diff([]string{"PATCH " + flowURL, "POST " + flowURL + "/publish"}, g.writesSince(writes)); diff != "" {
		t.Errorf("writes of the edit (-want +got):\n%s", diff)
	}
	flow = g.flowOf("support-bot", "Order status")
	if flow["version"] != 2.0 || !strings.Contains(mustJSON(t, flow["flow"]), "Your order number, please?") {
		t.Errorf("after the edit: %v", flow)
	}

	// What only the gateway checks (the tool a flow calls) is named in
	// the file: at publish, and at validation without -publish.
	bad := `kind: flow
name: Refund
agent: support-bot
flow:
  start: refund
  states:
    refund:
      actions:
        - type: API_CALL
          tool: refund_order
          success_transition: done
    done: {message: Done., end: true}
`
	writeFiles(t, dir, map[string]string{"flows/refund.yaml": bad})
	for _, args := range [][]string{{"-publish"}, nil} {
		out, _, err = g.run(env, append([]string{"apply", "-f", dir}, args...)...)
		want := "flows/refund.yaml:10: flow Refund (agent support-bot): flow.states.refund.actions[0].tool: no published tool named \"refund_order\""
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("apply %v of a flow calling an unknown tool: %v, want %q in:\n%s", args, err, want, out)
		}
	}
	if err := os.Remove(filepath.Join(dir, "flows/refund.yaml")); err != nil {
		t.Fatal(err)
	}

	// A flow whose agent exists nowhere is an error before any write.
	writeFiles(t, dir, map[string]string{"flows/order.yaml": strings.Replace(flowFixture["flows/order.yaml"], "agent: support-bot", "agent: sales-bot", 1)})
	writes = g.writeCount()
	out, _, err = g.run(env, "apply", "-f", dir)
	if err == nil || !strings.Contains(out, `flows/order.yaml:3: flow Order status (agent sales-bot): agent: no agent named "sales-bot"`) ||
		len(g.writesSince(writes)) > 0 {
		t.Errorf("a flow of an unknown agent: %v, writes %v\n%s", err, g.writesSince(writes), out)
	}

	// -prune deletes the flows (and the agents' refund flow, never
	// published) the files do not have.
	if err := os.Remove(flows); err != nil {
		t.Fatal(err)
	}
	out, _, err = g.run(env, "apply", "-f", dir, "-prune", "-dry-run")
	if err != nil || !strings.Contains(out, "\n- flow Order status (agent support-bot)\n") || !strings.Contains(out, "\n- flow Refund (agent support-bot)\n") {
		t.Errorf("dry run with -prune: %v\n%s", err, out)
	}
	out, _, err = g.run(env, "apply", "-f", dir, "-prune")
	if err != nil || !strings.Contains(out, "deleted flow Order status (agent support-bot)\n") || g.flowOf("support-bot", "Order status") != nil {
		t.Errorf("apply -prune: %v\n%s", err, out)
	}
	if !strings.Contains(strings.Join(g.writesSince(writes), "\n"), "DELETE "+flowURL) {
		t.Errorf("apply -prune did not delete %s: %v", flowURL, g.writesSince(writes))
	}

	// An agent no longer in the files goes with -prune too, when the
	// files have agents.
	writeFiles(t, dir, map[string]string{"agents.yaml": "kind: agent\nname: sales-bot\n"})
	out, _, err = g.run(env, "apply", "-f", dir, "-prune")
	if err != nil || !strings.Contains(out, "\n+ agent sales-bot\n- agent support-bot\n") || g.byName("agents", "support-bot") != nil {
		t.Errorf("apply -prune of an agent: %v\n%s", err, out)
	}
}

// TestApplyPruneScope: -prune deletes only objects of the kinds the files
// have, flows only of the agents the files have; files without objects
// are refused with -prune.
func TestApplyPruneScope(t *testing.T) {
	g := newTestGateway(t)
	env := g.env(fixtureEnv...)
	files := withFlows()
	files["agents/sales.yaml"] = "kind: agent\nname: sales-bot\n"
	files["flows/greeting.yaml"] = "kind: flow\nname: Greeting\nagent: sales-bot\nflow:\n  start: hi\n  states:\n    hi: {message: Hello., end: true}\n"
	all := writeFiles(t, t.TempDir(), files)
	if out, _, err := g.run(env, "apply", "-f", all, "-publish"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}

	tests := []struct {
		name  string
		files map[string]string
		plan  []string
		err   string
	}{
		{"comments only", map[string]string{"empty.yaml": "# nothing yet\n"}, nil, "-prune with files that hold no objects"},
		{"a connection", map[string]string{"c.yaml": workspaceFixture["connections.yaml"]}, []string{"= connection backend"}, ""},
		{"a tool", map[string]string{"t.yaml": workspaceFixture["tools/get_order.yaml"]},
			nil, `agent support-bot (on the gateway, not in the files): tools[1].name: activates tool "save_lead", which -prune would delete`},
		{"the tools", map[string]string{"t.yaml": workspaceFixture["tools/get_order.yaml"], "u.json": workspaceFixture["tools/more.json"]},
			[]string{"= tool get_order", "= tool save_lead"}, ""},
		{"an agent's flows", map[string]string{"f.yaml": flowFixture["flows/order.yaml"]},
			[]string{"= flow Order status (agent support-bot)"}, ""},
		{"an agent", map[string]string{"a.yaml": "kind: agent\nname: sales-bot\n"},
			[]string{"= agent sales-bot", "- flow Order status (agent support-bot)", "- flow Greeting (agent sales-bot)", "- agent support-bot"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, t.TempDir(), tt.files)
			writes := g.writeCount()
			out, _, err := g.run(env, "apply", "-f", dir, "-prune", "-dry-run")
			if got := g.writesSince(writes); len(got) > 0 {
				t.Errorf("writes: %v", got)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error()+out, tt.err) {
					t.Errorf("error %v, want %q in:\n%s", err, tt.err, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if diff := cmp.Diff(tt.plan, planLines(out)); diff != "" {
				t.Errorf("plan (-want +got):\n%s\n%s", diff, out)
			}
		})
	}
}

// TestApplyFlowOfGatewayAgent: a flow of an agent only the gateway has
// (not in the files) is created in that agent's flows; a publish-only
// update counts as an update, and the files read are counted as files.
func TestApplyFlowOfGatewayAgent(t *testing.T) {
	g := newTestGateway(t)
	env := g.env(fixtureEnv...)
	dir := writeFiles(t, t.TempDir(), workspaceFixture)
	if out, _, err := g.run(env, "apply", "-f", dir); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	out, _, err := g.run(env, "apply", "-f", dir, "-publish")
	if err != nil {
		t.Fatalf("apply -publish: %v\n%s", err, out)
	}
	if want := "0 created, 2 updated, 0 deleted, 2 unchanged, 2 published; 0 errors"; !strings.Contains(out, want) {
		t.Errorf("the summary of publishing lacks %q:\n%s", want, out)
	}
	flows := writeFiles(t, t.TempDir(), flowFixture)
	out, _, err = g.run(env, "apply", "-f", flows, "-publish")
	if err != nil || !strings.Contains(out, "created flow Order status (agent support-bot)\n") {
		t.Fatalf("apply of a flow of the gateway's agent: %v\n%s", err, out)
	}
	if f := g.flowOf("support-bot", "Order status"); f == nil || f["status"] != "published" {
		t.Errorf("the flow on the gateway: %v", f)
	}
	empty := writeFiles(t, t.TempDir(), map[string]string{"a.yaml": "# nothing\n", "b.yaml": "---\n"})
	out, _, _ = g.run(env, "apply", "-f", empty)
	if want := "read 0 objects in 2 files: nothing to apply\n"; !strings.Contains(out, want) {
		t.Errorf("the output lacks %q:\n%s", want, out)
	}
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

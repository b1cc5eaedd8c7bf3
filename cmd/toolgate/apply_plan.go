package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// Operations of a plan, as its lines start.
const (
	opCreate    = '+'
	opUpdate    = '~'
	opDelete    = '-'
	opUnchanged = '='
)

// action is one line of apply's plan.
type action struct {
	op   byte
	spec *kindSpec
	name string
	// agent is a flow's agent, by name.
	agent string
	// want is the object of the files (nil for a delete); have is the
	// gateway's (nil for a create).
	want *desired
	have *remoteObject
	// fields are what an update changes: members, and secrets by path
	// ("secrets.token").
	fields []string
	// patch is an update's merge patch, secrets included.
	patch map[string]any
	// publish says a tool is published once written; why says so when
	// only that changes.
	publish bool
	why     string
}

// plan is what apply does, in order: writes (connections, tools, agents),
// then deletes (agents, tools, connections).
type plan struct {
	actions []*action
	// untracked counts the gateway's objects the files do not have, left
	// alone (without -prune, or of a kind the files do not have).
	untracked int
	// agentIDs are the ids of the gateway's agents, by name: where their
	// flows are.
	agentIDs map[string]string
}

// plan compares the files' objects with the gateway's. Its findings are
// problems only the gateway's state reveals (an agent activating a tool
// that exists nowhere, a flow of an agent that does not exist).
func (a *applier) plan(ctx context.Context, want []*desired, have *remoteWorkspace) (*plan, []*finding, error) {
	p := &plan{}
	var findings []*finding
	byKey := map[string][]*remoteObject{}
	byName := map[string]map[string]bool{} // kind → names on the gateway
	for _, kind := range kindOrder {
		byName[kind] = map[string]bool{}
		for _, r := range have.objects[kind] {
			key := objectKey(kind, r.agent, r.name)
			byKey[key] = append(byKey[key], r)
			byName[kind][r.name] = true
		}
	}
	inFiles := map[string]bool{}
	filed := map[string]map[string]bool{} // kind → names in the files
	for _, kind := range kindOrder {
		filed[kind] = map[string]bool{}
	}
	agentsFiled := map[string]bool{} // agents the files have, or flows of
	for _, d := range want {
		inFiles[objectKey(d.kind, d.agent, d.name)] = true
		filed[d.kind][d.name] = true
		if d.kind == kindAgent {
			agentsFiled[d.name] = true
		}
		if d.kind == kindFlow {
			agentsFiled[d.agent] = true
		}
	}
	// pruned says whether -prune deletes an object of the gateway the
	// files do not have: only of the kinds the files have (so that files
	// of only tools leave agents alone), and a flow only of an agent the
	// files have (or flows of), or that is deleted.
	var pruned func(kind, agent, name string) bool
	pruned = func(kind, agent, name string) bool {
		if !a.opts.prune || inFiles[objectKey(kind, agent, name)] {
			return false
		}
		if kind == kindFlow {
			return agentsFiled[agent] || pruned(kindAgent, "", agent)
		}
		return len(filed[kind]) > 0
	}
	// exists says whether an object will exist once the plan is carried
	// out: in the files, or on the gateway and kept.
	exists := func(kind, name string) bool {
		return filed[kind][name] || (byName[kind][name] && !pruned(kind, "", name))
	}
	p.agentIDs = map[string]string{}
	for _, r := range have.objects[kindAgent] {
		p.agentIDs[r.name] = r.id
	}
	for _, kind := range kindOrder {
		for _, d := range want {
			if d.kind != kind {
				continue
			}
			if kind == kindFlow && have.noFlowsAPI {
				findings = append(findings, d.findingAt("", "%v", errNoFlowsAPI))
				continue
			}
			matches := byKey[objectKey(kind, d.agent, d.name)]
			if len(matches) > 1 {
				findings = append(findings, d.findingAt("name", "the gateway has %d %ss named %q: apply matches objects by name; rename or delete all but one",
					len(matches), kind, d.name))
				continue
			}
			switch kind {
			case kindAgent:
				findings = append(findings, checkAgentTools(d, exists, a.opts.prune && len(filed[kindTool]) > 0)...)
			case kindFlow:
				if !exists(kindAgent, d.agent) {
					findings = append(findings, d.findingAt("agent", "no agent named %q in the files or on the gateway", d.agent))
				}
			}
			var r *remoteObject
			if len(matches) == 1 {
				r = matches[0]
			}
			ac, err := a.compare(ctx, d, r)
			if err != nil {
				return nil, nil, err
			}
			if d.spec.patchable != nil {
				for _, f := range ac.fields {
					if !slices.Contains(d.spec.patchable, f) && !strings.HasPrefix(f, d.spec.secrets+".") {
						findings = append(findings, d.findingAt(f, "cannot be changed by the API: delete the %s and apply again", kind))
					}
				}
			}
			p.actions = append(p.actions, ac)
		}
	}
	// An agent -prune keeps (not in the files) must not lose the tools it
	// activates.
	for _, r := range have.objects[kindAgent] {
		if inFiles[objectKey(kindAgent, "", r.name)] || pruned(kindAgent, "", r.name) {
			continue
		}
		list, _ := r.norm.m["tools"].([]any)
		for i, item := range list {
			name, _ := item.(map[string]any)["name"].(string)
			if byName[kindTool][name] && pruned(kindTool, "", name) {
				findings = append(findings, &finding{object: "agent " + r.name + " (on the gateway, not in the files)",
					field: fmt.Sprintf("tools[%d].name", i),
					msg:   fmt.Sprintf("activates tool %q, which -prune would delete: add the tool (or the agent) to the files", name)})
			}
		}
	}
	for _, kind := range slices.Backward(kindOrder) {
		for _, r := range have.objects[kind] {
			if inFiles[objectKey(kind, r.agent, r.name)] {
				continue
			}
			if !pruned(kind, r.agent, r.name) {
				p.untracked++
				continue
			}
			p.actions = append(p.actions, &action{op: opDelete, spec: r.spec, name: r.name, agent: r.agent, have: r})
		}
	}
	return p, findings, nil
}

// checkAgentTools checks that the tools an agent activates will exist:
// in the files, or on the gateway and kept.
func checkAgentTools(d *desired, exists func(kind, name string) bool, prune bool) []*finding {
	list, _ := d.norm.m["tools"].([]any)
	var out []*finding
	for i, item := range list {
		name, _ := item.(map[string]any)["name"].(string)
		if exists(kindTool, name) {
			continue
		}
		path := fmt.Sprintf("tools[%d].name", i)
		if prune {
			out = append(out, d.findingAt(path, "no tool named %q in the files (-prune deletes the others)", name))
		} else {
			out = append(out, d.findingAt(path, "no tool named %q in the files or on the gateway", name))
		}
	}
	return out
}

// compare makes the action that turns the gateway's object (nil: none)
// into the files'.
func (a *applier) compare(ctx context.Context, d *desired, r *remoteObject) (*action, error) {
	ac := &action{spec: d.spec, name: d.name, agent: d.agent, want: d, have: r}
	if r == nil {
		ac.op = opCreate
		ac.publish = a.opts.publish && d.spec.publishable
		return ac, nil
	}
	ac.fields = changedFields(r.norm.m, d.norm.m)
	ac.patch = d.spec.patchOf(r.norm.m, d.norm.m, d.public)
	if secrets := a.secretWrites(d, r); len(secrets) > 0 {
		ac.patch[d.spec.secrets] = secretsJSON(secrets)
		for _, s := range secrets {
			ac.fields = append(ac.fields, d.spec.secrets+"."+s.key)
		}
	}
	ac.op = opUnchanged
	if len(ac.fields) > 0 {
		ac.op = opUpdate
	}
	if a.opts.publish && d.spec.publishable {
		if ac.op == opUpdate {
			ac.publish = true
		} else {
			why, err := a.unpublished(ctx, d, r)
			if err != nil {
				return nil, err
			}
			if why != "" {
				ac.op, ac.publish, ac.why = opUpdate, true, why
			}
		}
	}
	return ac, nil
}

// secretWrites are the secrets an update writes: those the gateway does
// not have (all with -update-secrets), nulls for those set, and with
// -prune nulls for those the files do not name, when the object's file
// has its secrets member (secrets, adapters) at all.
func (a *applier) secretWrites(d *desired, r *remoteObject) []secretRef {
	var out []secretRef
	named := map[string]bool{}
	for _, s := range d.secrets {
		named[s.key] = true
		switch {
		case s.remove && r.secretsSet[s.key]:
			out = append(out, s)
		case !s.remove && (!r.secretsSet[s.key] || a.opts.updateSecrets):
			out = append(out, s)
		}
	}
	if a.opts.prune && d.secretsWritten {
		for _, key := range sortedKeys(r.secretsSet) {
			if r.secretsSet[key] && !named[key] {
				out = append(out, secretRef{key: key, remove: true})
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// unpublished says why a tool or flow whose draft apply leaves as it is
// must be published ("" when its latest version is its draft).
func (a *applier) unpublished(ctx context.Context, d *desired, r *remoteObject) (string, error) {
	if r.version == 0 || r.publishedAt == nil {
		return "never published", nil
	}
	if !r.updatedAt.After(*r.publishedAt) {
		return "", nil // no edit since the last publish
	}
	var versions struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := a.client.do(ctx, http.MethodGet, r.url+"/versions", nil, &versions); err != nil {
		return "", err
	}
	if len(versions.Items) == 0 {
		return "never published", nil
	}
	latest, err := d.spec.normalizedOf(versions.Items[len(versions.Items)-1])
	if err != nil {
		return "", err
	}
	if reflect.DeepEqual(latest.m, r.norm.m) {
		return "", nil
	}
	return fmt.Sprintf("the draft differs from version %d", r.version), nil
}

// printPlan prints one line per object: + create, ~ update (and what
// changes), - delete, = unchanged.
func (a *applier) printPlan(p *plan) {
	for _, ac := range p.actions {
		line := fmt.Sprintf("%c %s", ac.op, objectLabel(ac.spec.kind, ac.agent, ac.name))
		var notes []string
		if len(ac.fields) > 0 {
			notes = append(notes, strings.Join(ac.fields, ", "))
		}
		if ac.why != "" {
			notes = append(notes, "publish: "+ac.why)
		} else if ac.publish {
			notes = append(notes, "publish")
		}
		if len(notes) > 0 {
			line += ": " + strings.Join(notes, "; ")
		}
		a.printf("%s\n", line)
		if ac.op == opUpdate && ac.have != nil && ac.want != nil {
			for _, d := range valueDiff(ac.have.norm.m, ac.want.norm.m, planDiffLinesMax) {
				a.printf("    %s\n", d)
			}
		}
	}
	switch {
	case p.untracked > 0 && a.opts.prune:
		a.printf("(%s on the gateway not in the files, of kinds or agents the files do not have, left alone)\n", plural(p.untracked, "object"))
	case p.untracked > 0:
		a.printf("(%s on the gateway not in the files, left alone: -prune deletes them)\n", plural(p.untracked, "object"))
	}
}

// Bounds of the value diff under an update's plan line.
const (
	// planDiffLinesMax is how many lines it has at most.
	planDiffLinesMax = 20
	// planValueCharsMax bounds one value shown in it.
	planValueCharsMax = 80
)

// valueDiff shows what an update changes, leaf by leaf: "- path: old" and
// "+ path: new" (JSON values, long ones cut), at most max lines, then how
// many more. Secrets are not in the compared forms: never shown.
func valueDiff(have, want map[string]any, limit int) []string {
	var out []string
	var walk func(path string, h, w any, hasH, hasW bool)
	walk = func(path string, h, w any, hasH, hasW bool) {
		if hasH && hasW && reflect.DeepEqual(h, w) {
			return
		}
		hm, hIsObj := h.(map[string]any)
		wm, wIsObj := w.(map[string]any)
		if hIsObj && wIsObj {
			keys := map[string]bool{}
			for k := range hm {
				keys[k] = true
			}
			for k := range wm {
				keys[k] = true
			}
			for _, k := range sortedKeys(keys) {
				hv, hok := hm[k]
				wv, wok := wm[k]
				walk(joinPath(path, k), hv, wv, hok, wok)
			}
			return
		}
		ha, hIsList := h.([]any)
		wa, wIsList := w.([]any)
		if hIsList && wIsList && len(ha) == len(wa) {
			for i := range ha {
				walk(fmt.Sprintf("%s[%d]", path, i), ha[i], wa[i], true, true)
			}
			return
		}
		if hasH {
			out = append(out, "- "+path+": "+shortJSON(h))
		}
		if hasW {
			out = append(out, "+ "+path+": "+shortJSON(w))
		}
	}
	walk("", have, want, true, true)
	if len(out) > limit {
		more := len(out) - limit + 1
		out = append(out[:limit-1], fmt.Sprintf("(%d more lines)", more))
	}
	return out
}

// shortJSON is a value as compact JSON, cut to planValueCharsMax.
func shortJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSuffix(b.String(), "\n")
	if r := []rune(s); len(r) > planValueCharsMax {
		s = string(r[:planValueCharsMax-1]) + "…"
	}
	return s
}

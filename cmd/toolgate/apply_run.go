package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// progressLinesMax is how many progress lines a long apply prints: beyond
// it, a counter every so many objects instead of a line each.
const progressLinesMax = 50

// progress prints "[n/total] what" as apply goes: a line per step, or
// for hundreds of steps about progressLinesMax of them.
type progress struct {
	out         io.Writer
	total, done int
	every       int
}

func newProgress(out io.Writer, total int) *progress {
	return &progress{out: out, total: total, every: max(1, (total+progressLinesMax-1)/progressLinesMax)}
}

func (p *progress) step(format string, args ...any) {
	p.done++
	if p.done%p.every == 0 || p.done == p.total {
		fmt.Fprintf(p.out, "[%d/%d] %s\n", p.done, p.total, fmt.Sprintf(format, args...))
	}
}

// steps counts the writes of a plan: creates, updates, publishes and
// deletes.
func (p *plan) steps() int {
	n := 0
	for _, ac := range p.actions {
		if ac.op == opCreate || ac.op == opDelete || (ac.op == opUpdate && len(ac.patch) > 0) {
			n++
		}
		if ac.publish {
			n++
		}
	}
	return n
}

// execute carries out a plan: connections and tools, then the tools'
// validation and publication, then agents (which may pin published
// versions), then their flows (which call the agents' published tools)
// and the flows' validation and publication, then deletes. An object the
// gateway refuses is reported (file, object, field) and apply goes on
// with the others.
func (a *applier) execute(ctx context.Context, p *plan) {
	steps := p.steps()
	if steps > 0 {
		a.printf("applying %s\n", plural(steps, "change"))
	}
	prog := newProgress(a.out, steps)
	failed := map[*action]bool{}
	var agentIDs map[string]string // known once agents are written
	writeKind := func(kind string) {
		for _, ac := range p.actions {
			if ac.spec.kind != kind || ac.op == opDelete {
				continue
			}
			if ac.op == opUnchanged {
				a.tally.unchanged++
				continue
			}
			if !a.write(ctx, ac, agentIDs, prog) {
				failed[ac] = true
			}
		}
	}
	writeKind(kindConnection)
	writeKind(kindTool)
	a.check(ctx, p, kindTool, prog, failed)
	writeKind(kindAgent)
	agentIDs = p.agentIDsNow()
	writeKind(kindFlow)
	a.check(ctx, p, kindFlow, prog, failed)
	for _, ac := range p.actions {
		if ac.op != opDelete {
			continue
		}
		label := objectLabel(ac.spec.kind, ac.agent, ac.name)
		if err := a.client.do(ctx, http.MethodDelete, ac.have.url, nil, nil); err != nil {
			a.report(&finding{object: label, msg: "not deleted: " + err.Error()})
			continue
		}
		a.tally.deleted++
		prog.step("deleted %s", label)
	}
}

// agentIDsNow are the ids of the agents the gateway has once the files'
// agents are written, by name: where their flows are. Those the files do not have count too: a flow of the
// files may be of one.
func (p *plan) agentIDsNow() map[string]string {
	ids := maps.Clone(p.agentIDs)
	for _, ac := range p.actions {
		if ac.spec.kind == kindAgent && ac.have != nil {
			ids[ac.name] = ac.have.id
		}
	}
	return ids
}

// collection is where an object of the files is created: its kind's
// collection, or for a flow its agent's flows ("" when the agent is not
// on the gateway: it was not created).
func collection(d *desired, agentIDs map[string]string) string {
	if d.kind != kindFlow {
		return d.spec.path
	}
	if id := agentIDs[d.agent]; id != "" {
		return flowsPath(id)
	}
	return ""
}

// write creates or updates one object; false when the gateway refused it.
func (a *applier) write(ctx context.Context, ac *action, agentIDs map[string]string, prog *progress) bool {
	d := ac.want
	label := d.label()
	var answer json.RawMessage
	var parent string // the collection the object is in
	switch {
	case ac.op == opCreate:
		parent = collection(d, agentIDs)
		if parent == "" {
			a.report(d.findingAt("agent", "not created: agent %q was not created", d.agent))
			return false
		}
		body, err := createBody(d)
		if err != nil {
			a.report(d.findingAt("", "%v", err))
			return false
		}
		if err := a.client.do(ctx, http.MethodPost, parent, body, &answer); err != nil {
			a.refused(d, "not created", err)
			return false
		}
		a.tally.created++
		prog.step("created %s", label)
	case len(ac.patch) > 0:
		if err := a.client.do(ctx, http.MethodPatch, ac.have.url, ac.patch, &answer); err != nil {
			a.refused(d, "not updated", err)
			return false
		}
		a.tally.updated++
		prog.step("updated %s", label)
		parent = strings.TrimSuffix(ac.have.url, "/"+ac.have.id)
	default:
		return true // only published
	}
	r, err := remoteOf(d.spec, answer)
	if err != nil {
		a.report(d.findingAt("", "%v", err))
		return false
	}
	r.agent, r.url = d.agent, parent+"/"+r.id
	ac.have = r
	// What the gateway stored should be what the file says; when it is
	// not, the next apply would show a change that never settles.
	if fields := changedFields(r.norm.m, d.norm.m); len(fields) > 0 {
		for _, f := range fields {
			a.warn(d.findingAt(f, "the gateway stored it differently than the file says; the next apply will show it changed"))
		}
	}
	return true
}

// createBody is an object's JSON as written, with its secrets' values.
func createBody(d *desired) ([]byte, error) {
	var set []secretRef
	for _, s := range d.secrets {
		if !s.remove {
			set = append(set, s)
		}
	}
	if len(set) == 0 {
		return d.public.JSON(), nil
	}
	secrets, err := json.Marshal(secretsJSON(set))
	if err != nil {
		return nil, err
	}
	sv, err := valueOfJSON(secrets)
	if err != nil {
		return nil, err
	}
	body := *d.public
	body.keys, body.members = append([]string(nil), body.keys...), append([]*value(nil), body.members...)
	body.set(d.spec.secrets, sv)
	return body.JSON(), nil
}

// refused reports the gateway's refusal of an object, naming each field.
func (a *applier) refused(d *desired, what string, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		a.report(d.findingAt("", "%s: %v", what, err))
		return
	}
	for _, fe := range ae.fieldErrors() {
		msg := fe.Message
		if fe.Path == "" {
			msg = fmt.Sprintf("%s: %s", what, ae.Error())
		}
		a.report(d.findingAt(d.spec.fieldPath(fe.Path), "%s", msg))
	}
}

// validationReport is the answer of POST /v1/admin/tools/{id}/validate.
type validationReport struct {
	Valid    bool         `json:"valid"`
	Errors   []fieldError `json:"errors"`
	Warnings []fieldError `json:"warnings"`
}

// published is the answer of POST /v1/admin/tools/{id}/publish.
type published struct {
	Version  int          `json:"version"`
	Warnings []fieldError `json:"warnings"`
}

// validateConcurrency is how many validations apply asks for at once.
const validateConcurrency = 4

// validateReportsMax is about how many lines hundreds of validations
// print as they go.
const validateReportsMax = 10

// check validates every tool or flow of the files that was written or
// left as it was, and publishes those the plan publishes. One apply
// changed shows its warnings too; an unchanged one only its errors.
func (a *applier) check(ctx context.Context, p *plan, kind string, prog *progress, failed map[*action]bool) {
	var list []*action
	for _, ac := range p.actions {
		if ac.spec.kind != kind || ac.op == opDelete || failed[ac] || ac.have == nil {
			continue
		}
		if !ac.publish {
			list = append(list, ac)
			continue
		}
		d := ac.want
		var pub published
		if err := a.client.do(ctx, http.MethodPost, ac.have.url+"/publish", nil, &pub); err != nil {
			a.refused(d, "not published", err)
			continue
		}
		a.tally.published++
		if ac.op == opUpdate && len(ac.patch) == 0 {
			a.tally.updated++ // only published: its update
		}
		prog.step("published %s: version %d", d.label(), pub.Version)
		for _, w := range pub.Warnings {
			a.warn(d.findingAt(d.spec.fieldPath(w.Path), "%s", w.Message))
		}
	}
	a.validate(ctx, kind, list)
}

// validate asks the gateway to validate tools or flows (a few at once)
// and prints their errors, in order; and the warnings of those apply
// changed.
func (a *applier) validate(ctx context.Context, kind string, list []*action) {
	if len(list) == 0 {
		return
	}
	// Hundreds of validations say how far they are, a tenth at a time.
	var mu sync.Mutex
	done, every := 0, 0
	if len(list) > progressLinesMax {
		a.printf("validating %s\n", plural(len(list), kind))
		every = (len(list) + validateReportsMax - 1) / validateReportsMax
	}
	reports := make([]validationReport, len(list))
	errs := make([]error, len(list))
	var g errgroup.Group
	g.SetLimit(validateConcurrency)
	for i, ac := range list {
		g.Go(func() error {
			errs[i] = a.client.do(ctx, http.MethodPost, ac.have.url+"/validate", nil, &reports[i])
			mu.Lock()
			defer mu.Unlock()
			if done++; every > 0 && (done%every == 0 || done == len(list)) {
				a.printf("validated %d of %s\n", done, plural(len(list), kind))
			}
			return nil
		})
	}
	_ = g.Wait()
	for i, ac := range list {
		d := ac.want
		if errs[i] != nil {
			a.refused(d, "not validated", errs[i])
			continue
		}
		for _, e := range reports[i].Errors {
			a.report(d.findingAt(d.spec.fieldPath(e.Path), "%s", e.Message))
		}
		if ac.op != opUnchanged {
			for _, w := range reports[i].Warnings {
				a.warn(d.findingAt(d.spec.fieldPath(w.Path), "%s", w.Message))
			}
		}
	}
}

// validateUnchanged validates, in a dry run, the tools and flows whose
// draft on the gateway is already what the files say (the others are not
// written, so the gateway cannot check them).
func (a *applier) validateUnchanged(ctx context.Context, p *plan) {
	for _, kind := range []string{kindTool, kindFlow} {
		var list []*action
		for _, ac := range p.actions {
			if ac.spec.kind == kind && ac.have != nil && ac.op != opDelete && reflect.DeepEqual(ac.have.norm.m, ac.want.norm.m) {
				list = append(list, ac)
			}
		}
		a.validate(ctx, kind, list)
	}
}

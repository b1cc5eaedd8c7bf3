package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"

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
// versions), then deletes. An object the gateway refuses is reported
// (file, object, field) and apply goes on with the others.
func (a *applier) execute(ctx context.Context, p *plan) {
	steps := p.steps()
	if steps > 0 {
		a.printf("applying %s\n", plural(steps, "change"))
	}
	prog := newProgress(a.out, steps)
	failed := map[*action]bool{}
	writeKind := func(kind string) {
		for _, ac := range p.actions {
			if ac.spec.kind != kind || ac.op == opDelete {
				continue
			}
			if ac.op == opUnchanged {
				a.tally.unchanged++
				continue
			}
			if !a.write(ctx, ac, prog) {
				failed[ac] = true
			}
		}
	}
	writeKind(kindConnection)
	writeKind(kindTool)
	a.checkTools(ctx, p, prog, failed)
	writeKind(kindAgent)
	for _, ac := range p.actions {
		if ac.op != opDelete {
			continue
		}
		if err := a.client.do(ctx, http.MethodDelete, ac.spec.path+"/"+ac.have.id, nil, nil); err != nil {
			a.report(&finding{object: ac.spec.kind + " " + ac.name, msg: "not deleted: " + err.Error()})
			continue
		}
		a.tally.deleted++
		prog.step("deleted %s %s", ac.spec.kind, ac.name)
	}
}

// write creates or updates one object; false when the gateway refused it.
func (a *applier) write(ctx context.Context, ac *action, prog *progress) bool {
	d := ac.want
	var answer json.RawMessage
	switch {
	case ac.op == opCreate:
		body, err := createBody(d)
		if err != nil {
			a.report(d.findingAt("", "%v", err))
			return false
		}
		if err := a.client.do(ctx, http.MethodPost, d.spec.path, body, &answer); err != nil {
			a.refused(d, "not created", err)
			return false
		}
		a.tally.created++
		prog.step("created %s %s", d.kind, d.name)
	case len(ac.patch) > 0:
		if err := a.client.do(ctx, http.MethodPatch, d.spec.path+"/"+ac.have.id, ac.patch, &answer); err != nil {
			a.refused(d, "not updated", err)
			return false
		}
		a.tally.updated++
		prog.step("updated %s %s", d.kind, d.name)
	default:
		return true // only published
	}
	r, err := remoteOf(d.spec, answer)
	if err != nil {
		a.report(d.findingAt("", "%v", err))
		return false
	}
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
		a.report(d.findingAt(fe.Path, "%s", msg))
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

// checkTools validates every tool of the files that was written or left
// as it was, and publishes those the plan publishes. A tool apply
// changed shows its warnings too; an unchanged one only its errors.
func (a *applier) checkTools(ctx context.Context, p *plan, prog *progress, failed map[*action]bool) {
	var check []*action
	for _, ac := range p.actions {
		if ac.spec.kind != kindTool || ac.op == opDelete || failed[ac] || ac.have == nil {
			continue
		}
		if !ac.publish {
			check = append(check, ac)
			continue
		}
		d := ac.want
		var pub published
		if err := a.client.do(ctx, http.MethodPost, d.spec.path+"/"+ac.have.id+"/publish", nil, &pub); err != nil {
			a.refused(d, "not published", err)
			continue
		}
		a.tally.published++
		prog.step("published tool %s: version %d", d.name, pub.Version)
		for _, w := range pub.Warnings {
			a.warn(d.findingAt(w.Path, "%s", w.Message))
		}
	}
	a.validate(ctx, check)
}

// validate asks the gateway to validate tools (a few at once) and prints
// their errors, in order; and the warnings of those apply changed.
func (a *applier) validate(ctx context.Context, list []*action) {
	if len(list) == 0 {
		return
	}
	if len(list) > progressLinesMax {
		a.printf("validating %s\n", plural(len(list), "tool"))
	}
	reports := make([]validationReport, len(list))
	errs := make([]error, len(list))
	var g errgroup.Group
	g.SetLimit(validateConcurrency)
	for i, ac := range list {
		g.Go(func() error {
			errs[i] = a.client.do(ctx, http.MethodPost, ac.spec.path+"/"+ac.have.id+"/validate", nil, &reports[i])
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
			a.report(d.findingAt(e.Path, "%s", e.Message))
		}
		if ac.op != opUnchanged {
			for _, w := range reports[i].Warnings {
				a.warn(d.findingAt(w.Path, "%s", w.Message))
			}
		}
	}
}

// validateUnchanged validates, in a dry run, the tools whose draft on the
// gateway is already what the files say (the others are not written, so
// the gateway cannot check them).
func (a *applier) validateUnchanged(ctx context.Context, p *plan) {
	var check []*action
	for _, ac := range p.actions {
		if ac.spec.kind == kindTool && ac.have != nil && ac.op != opDelete && reflect.DeepEqual(ac.have.norm.m, ac.want.norm.m) {
			check = append(check, ac)
		}
	}
	a.validate(ctx, check)
}

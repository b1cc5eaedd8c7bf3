package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

var applyCommand = &command{
	name:    "apply",
	args:    "-f FILE|DIR",
	summary: "Make a running gateway's connections, tools, agents and flows match YAML or JSON files.",
	notes: `Each object in the files has a kind (connection, tool, agent or flow) and
the fields the admin API takes for it; a flow also names its agent (agent:
support-bot). $schema (e.g. /v1/schemas/tool.json) is allowed for editors
and not sent. Objects are matched by kind and name (a flow: by its agent
and name). Connections' secrets are ${ENV_VAR} references, never literal
values. apply reads the files and reports every problem (file, line,
object, field) before writing anything; then it prints a plan (+ create,
~ update with the fields that change and their old and new values,
- delete with -prune, = unchanged), writes drafts, validates the tools and
flows, publishes them with -publish, and ends with a summary; the
gateway's refusals name the file, the object and the field too. Running it
twice changes nothing the second time. Secrets cannot be read back: one the
gateway already has is written again only with -update-secrets.

-prune deletes what the files do not have, of the kinds they have: files
of only tools delete tools, never connections or agents. A flow is deleted
when the files have its agent (or flows of it), or its agent is deleted.
A secret is deleted when the object's file has its secrets member
(secrets: {} deletes them all). -prune with files holding no object, or
deleting a tool an agent it keeps activates, is refused.`,
	define: func(fs *flag.FlagSet, c *cli) runner {
		settings := bindSettings(fs, c.getenv, clientSettings)
		var files stringList
		fs.Var(&files, "f", "a workspace `FILE` or directory (repeatable)")
		publish := fs.Bool("publish", false, "publish the tools and flows whose draft differs from their latest version")
		prune := fs.Bool("prune", false, "delete the objects of the kinds the files have (and the secrets of objects with secrets) that the files do not have")
		dryRun := fs.Bool("dry-run", false, "print the plan and write nothing")
		updateSecrets := fs.Bool("update-secrets", false, "write every secret, also those the gateway already has")
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("apply takes its files with -f (got %q)", strings.Join(args, " "))
			}
			if len(files) == 0 {
				return usagef("usage: toolgate apply -f FILE|DIR [-publish] [-prune] [-dry-run]")
			}
			cfg, err := settings()
			if err != nil {
				return err
			}
			a := &applier{
				out: c.stdout, getenv: c.getenv, client: newAdminClient(cfg),
				opts: applyOptions{paths: files, publish: *publish, prune: *prune, dryRun: *dryRun, updateSecrets: *updateSecrets},
			}
			return a.run(ctx)
		}
	},
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// applyOptions are apply's flags.
type applyOptions struct {
	paths                                 []string
	publish, prune, dryRun, updateSecrets bool
}

// applier applies a workspace's files to a gateway.
type applier struct {
	out    io.Writer
	getenv func(string) string
	client *adminClient
	opts   applyOptions
	start  time.Time
	tally  applyTally
}

// applyTally counts what apply did, for its summary.
type applyTally struct {
	created, updated, deleted, unchanged, published, errors, warnings int
}

// errNothingWritten ends an apply whose files have errors.
var errNothingWritten = errors.New("nothing was written")

func (a *applier) printf(format string, args ...any) { fmt.Fprintf(a.out, format, args...) }

// report prints a finding as an error.
func (a *applier) report(f *finding) {
	a.tally.errors++
	a.printf("error: %s\n", f.Error())
}

// warn prints a finding as a warning.
func (a *applier) warn(f *finding) {
	a.tally.warnings++
	a.printf("warning: %s\n", f.Error())
}

func (a *applier) run(ctx context.Context) error {
	a.start = time.Now()
	objects, files, findings := readWorkspace(a.opts.paths)
	findings = append(findings, duplicates(objects)...)
	var want []*desired
	for _, o := range objects {
		if o.body == nil || o.kind == "" || o.name == "" || (o.kind == kindFlow && o.agent == "") {
			continue // its finding is in findings
		}
		d, found := prepare(o, a.getenv)
		findings = append(findings, found...)
		if d != nil {
			want = append(want, d)
		}
	}
	a.printf("read %s in %s: %s\n", plural(len(objects), "object"), plural(files, "file"), countKinds(objects))
	if len(findings) > 0 {
		slices.SortStableFunc(findings, func(x, y *finding) int {
			return cmp.Or(strings.Compare(x.file, y.file), cmp.Compare(x.line, y.line))
		})
		for _, f := range findings {
			a.report(f)
		}
		return fmt.Errorf("%s in the files; %w", plural(len(findings), "error"), errNothingWritten)
	}
	if a.opts.prune && len(objects) == 0 {
		// -prune would have the gateway match nothing: refused, it is
		// more likely the wrong path than the wish to delete it all.
		return fmt.Errorf("-prune with files that hold no objects: to delete a kind of object, keep at least one of that kind in the files; %w", errNothingWritten)
	}

	have, err := a.fetch(ctx)
	if err != nil {
		return err
	}
	plan, findings, err := a.plan(ctx, want, have)
	if err != nil {
		return err
	}
	if len(findings) > 0 {
		for _, f := range findings {
			a.report(f)
		}
		return fmt.Errorf("%s; %w", plural(len(findings), "error"), errNothingWritten)
	}
	a.printPlan(plan)
	if a.opts.dryRun {
		a.validateUnchanged(ctx, plan)
		a.printDryRunSummary(plan)
	} else {
		a.execute(ctx, plan)
		a.printSummary()
	}
	if a.tally.errors > 0 {
		return fmt.Errorf("apply: %s", plural(a.tally.errors, "error"))
	}
	return nil
}

// fetch reads the gateway's workspace and says what it holds.
func (a *applier) fetch(ctx context.Context) (*remoteWorkspace, error) {
	ws, err := fetchWorkspace(ctx, a.client)
	if err != nil {
		return nil, err
	}
	var counts []string
	for _, kind := range kindOrder {
		if kind == kindFlow && ws.noFlowsAPI {
			continue
		}
		counts = append(counts, plural(len(ws.objects[kind]), kind))
	}
	a.printf("gateway %s has %s\n", a.client.base, strings.Join(counts, ", "))
	return ws, nil
}

// duplicates finds objects of one kind and name written twice.
func duplicates(objects []*object) []*finding {
	seen := map[string]*object{}
	var out []*finding
	for _, d := range objects {
		if d.kind == "" || d.name == "" {
			continue
		}
		key := objectKey(d.kind, d.agent, d.name)
		if first, ok := seen[key]; ok {
			out = append(out, d.findingAt("name", "is also the name of %s at %s:%d", first.label(), first.file, first.body.line))
			continue
		}
		seen[key] = d
	}
	return out
}

// countKinds says how many objects of each kind there are: "1
// connection, 2 tools".
func countKinds(objects []*object) string {
	n := map[string]int{}
	for _, o := range objects {
		n[o.kind]++
	}
	var parts []string
	for _, kind := range kindOrder {
		if n[kind] > 0 {
			parts = append(parts, plural(n[kind], kind))
		}
	}
	if len(parts) == 0 {
		return "nothing to apply"
	}
	return strings.Join(parts, ", ")
}

// plural is "1 tool", "2 tools".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// printDryRunSummary says what the plan would do.
func (a *applier) printDryRunSummary(p *plan) {
	n := map[byte]int{}
	publish := 0
	for _, ac := range p.actions {
		n[ac.op]++
		if ac.publish {
			publish++
		}
	}
	a.printf("dry run, nothing written (%s): %d to create, %d to update, %d to delete, %d unchanged, %d to publish; %s, %s\n",
		time.Since(a.start).Round(time.Millisecond), n[opCreate], n[opUpdate], n[opDelete], n[opUnchanged], publish,
		plural(a.tally.errors, "error"), plural(a.tally.warnings, "warning"))
}

// printSummary says what apply did.
func (a *applier) printSummary() {
	t := a.tally
	a.printf("done in %s: %d created, %d updated, %d deleted, %d unchanged, %d published; %s, %s\n",
		time.Since(a.start).Round(time.Millisecond), t.created, t.updated, t.deleted, t.unchanged, t.published,
		plural(t.errors, "error"), plural(t.warnings, "warning"))
}

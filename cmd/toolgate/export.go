package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

var exportCommand = &command{
	name:    "export",
	summary: "Write a running gateway's workspace as files apply reads, without secrets.",
	notes: `Without -o the workspace goes to standard output. -o FILE (.yaml, .yml or
.json) writes one file; -o DIR writes DIR/connections/, DIR/tools/,
DIR/agents/ and DIR/flows/AGENT/ with one file per object, replacing the
files of objects of those directories' kind (other files stay). Objects
are in name order, fields in the API's order. Secrets are written as
${OBJECT_SECRET} references (backend's token: ${BACKEND_TOKEN}; _2, _3...
when two secrets would share a name): set those variables and apply the
export to recreate the workspace.`,
	define: func(fs *flag.FlagSet, c *cli) runner {
		settings := bindSettings(fs, c.getenv, clientSettings)
		out := fs.String("o", "", "a file (.yaml, .yml, .json) or a directory to write; standard output without it")
		format := fs.String("format", "", "yaml or json; defaults to the file's extension, else yaml")
		return func(ctx context.Context, args []string) error {
			if err := noArgs("export", args); err != nil {
				return err
			}
			f, err := exportFormat(*out, *format)
			if err != nil {
				return err
			}
			cfg, err := settings()
			if err != nil {
				return err
			}
			e := &exporter{client: newAdminClient(cfg), format: f, stdout: c.stdout, stderr: c.stderr}
			return e.run(ctx, *out)
		}
	},
}

// exportFormat chooses yaml or json from the flag and the output's name.
func exportFormat(out, format string) (string, error) {
	ext := strings.ToLower(filepath.Ext(out))
	byExt := map[string]string{".yaml": "yaml", ".yml": "yaml", ".json": "json"}[ext]
	switch format {
	case "":
		return cmp.Or(byExt, "yaml"), nil
	case "yaml", "json":
		if byExt != "" && byExt != format {
			return "", usagef("export: -format %s does not match %s", format, out)
		}
		return format, nil
	}
	return "", usagef("export: -format must be yaml or json, not %q", format)
}

// exporter writes a workspace as files.
type exporter struct {
	client         *adminClient
	format         string
	stdout, stderr io.Writer
}

// exported is one object as export writes it.
type exported struct {
	spec *kindSpec
	// agent is a flow's agent, by name.
	agent, name string
	doc         *value
}

// dir is the directory an object's file goes to in an exported
// workspace: its kind's, and for a flow its agent's under it.
func (o *exported) dir(root string) string {
	if o.spec.kind == kindFlow {
		return filepath.Join(root, o.spec.dir, fileName(o.agent))
	}
	return filepath.Join(root, o.spec.dir)
}

func (e *exporter) run(ctx context.Context, out string) error {
	start := time.Now()
	ws, err := fetchWorkspace(ctx, e.client)
	if err != nil {
		return err
	}
	var remotes []*remoteObject
	var counts []string
	for _, kind := range kindOrder {
		if kind == kindFlow && ws.noFlowsAPI {
			continue
		}
		objs := slices.Clone(ws.objects[kind])
		// Name order (a flow: its agent's, then its); the API's order
		// (creation) among equal names.
		slices.SortStableFunc(objs, func(a, b *remoteObject) int {
			return cmp.Or(strings.Compare(a.agent, b.agent), strings.Compare(a.name, b.name))
		})
		remotes = append(remotes, objs...)
		counts = append(counts, plural(len(objs), kind))
	}
	vars, envs := secretVariables(remotes)
	all := make([]*exported, 0, len(remotes))
	for _, r := range remotes {
		doc, err := exportDoc(r, func(key string) string { return vars[secretID(r, key)] })
		if err != nil {
			return err
		}
		all = append(all, &exported{spec: r.spec, agent: r.agent, name: r.name, doc: doc})
	}
	var where string
	switch {
	case out == "":
		where = "standard output"
		err = e.writeStream(e.stdout, all)
	case filepath.Ext(out) != "" && isWorkspaceFile(out):
		where = out
		err = e.writeFile(out, all)
	default:
		where = out + string(filepath.Separator)
		err = e.writeDir(out, all)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "exported %s and %s to %s in %s\n", strings.Join(counts[:len(counts)-1], ", "), counts[len(counts)-1],
		where, time.Since(start).Round(time.Millisecond))
	if len(envs) > 0 {
		fmt.Fprintf(e.stderr, "secrets are references: set %s to apply it\n", strings.Join(envs, ", "))
	}
	return nil
}

// secretID identifies a secret of a gateway object.
func secretID(r *remoteObject, key string) string { return r.spec.kind + "\x00" + r.id + "\x00" + key }

// secretVariables names the environment variable of every secret set of
// objects (by secretID), and lists the names in order. A name is the
// object's and the secret's (envName); when several secrets would have
// the same one (connections a-b and a_b's tokens), the first in export
// order keeps it and the others get _2, _3... (A_B_TOKEN_2), never a name
// another secret has.
func secretVariables(objs []*remoteObject) (map[string]string, []string) {
	type secret struct{ id, base string }
	var list []secret
	count := map[string]int{}
	for _, r := range objs {
		for _, key := range sortedKeys(r.secretsSet) {
			if r.secretsSet[key] {
				base := envName(r.name, key)
				list = append(list, secret{secretID(r, key), base})
				count[base]++
			}
		}
	}
	vars := make(map[string]string, len(list))
	names := make([]string, 0, len(list))
	taken := map[string]bool{}
	for _, s := range list {
		name := s.base
		for i := 2; taken[name] || (name != s.base && count[name] > 0); i++ {
			name = fmt.Sprintf("%s_%d", s.base, i)
		}
		taken[name] = true
		vars[s.id] = name
		names = append(names, name)
	}
	return vars, names
}

// exportDoc is the document of a gateway object: its kind, then its
// fields in the API's order (members that say no more than their absence
// left out), then its secrets as ${VAR} references, named by env.
func exportDoc(r *remoteObject, env func(key string) string) (*value, error) {
	fields, err := valueOfJSON(r.norm.typed)
	if err != nil {
		return nil, err
	}
	doc := &value{kind: objectValue}
	doc.set("kind", stringValue(r.spec.kind))
	for i, k := range fields.keys {
		if _, kept := r.norm.m[k]; kept { // tidy and null members dropped
			doc.set(k, fields.members[i])
		}
		if k == "name" && r.spec.kind == kindFlow {
			doc.set("agent", stringValue(r.agent))
		}
	}
	if r.spec.kind == kindConnection {
		if auth, ok := r.norm.m["auth"].(map[string]any); ok && len(auth) == 1 && auth["type"] == "none" {
			doc.remove("auth")
		}
	}
	if r.spec.secrets != "" {
		secrets := &value{kind: objectValue}
		for _, key := range sortedKeys(r.secretsSet) {
			if !r.secretsSet[key] {
				continue
			}
			ref := stringValue("${" + env(key) + "}")
			platform, field, nested := strings.Cut(key, ".")
			if !nested {
				secrets.set(key, ref)
				continue
			}
			inner := secrets.get(platform)
			if inner == nil {
				inner = &value{kind: objectValue}
				secrets.set(platform, inner)
			}
			inner.set(field, ref)
		}
		if len(secrets.keys) > 0 {
			doc.set(r.spec.secrets, secrets)
		}
	}
	return doc, nil
}

// writeStream writes every object to w: YAML documents, or one JSON list.
func (e *exporter) writeStream(w io.Writer, all []*exported) error {
	if e.format == "json" {
		list := &value{kind: arrayValue}
		for _, o := range all {
			list.items = append(list.items, o.doc)
		}
		return writeJSON(w, list)
	}
	docs := make([]*value, len(all))
	for i, o := range all {
		docs[i] = o.doc
	}
	return writeYAML(w, docs...)
}

// writeFile writes every object to one file.
func (e *exporter) writeFile(path string, all []*exported) error {
	var buf bytes.Buffer
	if err := e.writeStream(&buf, all); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

// writeDir writes one file per object under DIR/<kind's directory>/ (a
// flow's under DIR/flows/<agent>/) and removes the other workspace files
// of those directories (objects no longer in the workspace: apply would
// create them again): only files of objects of the directory's kind,
// never other files.
func (e *exporter) writeDir(dir string, all []*exported) error {
	ext := "." + e.format
	written := map[string]bool{}
	taken := map[string]bool{} // lower case: some file systems ignore case
	for _, o := range all {
		sub := o.dir(dir)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		base := fileName(o.name)
		name := base + ext
		for i := 2; taken[strings.ToLower(filepath.Join(sub, name))]; i++ {
			name = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		path := filepath.Join(sub, name)
		taken[strings.ToLower(path)] = true
		var buf bytes.Buffer
		var err error
		if e.format == "json" {
			err = writeJSON(&buf, o.doc)
		} else {
			err = writeYAML(&buf, o.doc)
		}
		if err != nil {
			return err
		}
		if err := writeFileAtomic(path, buf.Bytes()); err != nil {
			return err
		}
		written[path] = true
	}
	removed := 0
	var emptied []string // agents' flow directories, removed when empty
	for _, kind := range kindOrder {
		spec := kindSpecs[kind]
		root := filepath.Join(dir, spec.dir)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return filepath.SkipDir
			}
			if err != nil {
				return err
			}
			if d.IsDir() {
				// Flows are one directory deeper, in their agents'.
				if path != root && (kind != kindFlow || filepath.Dir(path) != root) {
					return filepath.SkipDir
				}
				if path != root {
					emptied = append(emptied, path)
				}
				return nil
			}
			if !isWorkspaceFile(path) || written[path] || strings.HasPrefix(d.Name(), ".") || !holdsOnly(path, kind) {
				return nil
			}
			if err := os.Remove(path); err != nil {
				return err
			}
			removed++
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, d := range slices.Backward(emptied) {
		_ = os.Remove(d) // fails, as it should, unless empty
	}
	if removed > 0 {
		fmt.Fprintf(e.stderr, "removed %s of objects no longer in the workspace\n", plural(removed, "file"))
	}
	return nil
}

// holdsOnly reports whether a file reads as objects, all of one kind:
// a file export may replace. One that does not parse, holds nothing or
// other things is someone else's.
func holdsOnly(path, kind string) bool {
	objects, _ := readWorkspaceFile(path)
	if len(objects) == 0 {
		return false
	}
	for _, o := range objects {
		if o.kind != kind {
			return false
		}
	}
	return true
}

// fileName makes an object's name a file name: letters, digits, "-", "_"
// and "." kept, anything else "_".
func fileName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		s = "_"
	}
	return s
}

// writeFileAtomic writes data to path through a temporary file, so that a
// failed export leaves the previous file whole.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// writeJSON writes v indented, its members in order.
func writeJSON(w io.Writer, v *value) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, v.JSON(), "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

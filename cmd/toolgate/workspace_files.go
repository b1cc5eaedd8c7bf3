package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A workspace in files: YAML (.yaml, .yml) or JSON (.json) files, each
// holding objects — one object, a list of objects, or (YAML) several
// documents. Every object has a kind and the fields the admin API takes
// for it:
//
//	kind: tool                  # connection, tool, agent or flow
//	$schema: https://gw.example.com/v1/schemas/tool.json   # optional, for editors
//	name: get_order
//	...
//
// Connections' secrets (and agents' voice-platform secrets) are ${ENV_VAR}
// references, never literal values.

// Kinds of workspace objects.
const (
	kindConnection = "connection"
	kindTool       = "tool"
	kindAgent      = "agent"
	kindFlow       = "flow"
)

// kindOrder is the order apply writes kinds in: what an object refers to
// exists before it (tools name connections, agents name tools).
var kindOrder = []string{kindConnection, kindTool, kindAgent, kindFlow}

// workspaceFileBytesMax bounds one workspace file.
const workspaceFileBytesMax = 32 << 20

// object is one object of a workspace file.
type object struct {
	file string
	// index is the object's position in its file, from 1.
	index int
	kind  string
	// name identifies the object: apply matches objects by kind and name
	// (a flow: by its agent's name and its name).
	name string
	// agent is a flow's agent, by name.
	agent string
	// body holds the object's fields ($schema and kind removed).
	body *value
}

// label names the object in messages: "tool get_order", "flow Order
// status (agent support-bot)", or "tool #3" (its position in the file)
// without a name.
func (o *object) label() string {
	kind := o.kind
	if kind == "" {
		kind = "object"
	}
	if o.name == "" {
		return fmt.Sprintf("%s #%d", kind, o.index)
	}
	return objectLabel(kind, o.agent, o.name)
}

// objectLabel names an object of a kind: "tool get_order", "flow Order
// status (agent support-bot)".
func objectLabel(kind, agent, name string) string {
	if kind == kindFlow && agent != "" {
		return fmt.Sprintf("flow %s (agent %s)", name, agent)
	}
	return kind + " " + name
}

// objectKey identifies an object among those of the files and the
// gateway.
func objectKey(kind, agent, name string) string {
	return kind + "\x00" + agent + "\x00" + name
}

// finding is an error or a warning about a workspace: where it is (file,
// line, object, field) and what.
type finding struct {
	file   string
	line   int
	object string
	field  string
	msg    string
}

func (p *finding) Error() string {
	var b strings.Builder
	if p.file != "" {
		b.WriteString(p.file)
		if p.line > 0 {
			fmt.Fprintf(&b, ":%d", p.line)
		}
		b.WriteString(": ")
	}
	if p.object != "" {
		b.WriteString(p.object + ": ")
	}
	if p.field != "" {
		b.WriteString(p.field + ": ")
	}
	b.WriteString(p.msg)
	return b.String()
}

// findingAt is a finding with a field of o, at the line the field (or the
// nearest value the path reaches) is written on.
func (o *object) findingAt(field, format string, args ...any) *finding {
	p := &finding{file: o.file, object: o.label(), field: field, msg: fmt.Sprintf(format, args...)}
	if o.body != nil {
		p.line = o.body.line
		if field != "" {
			if v := o.body.at(field); v != nil {
				p.line = v.line
			}
		}
	}
	return p
}

// readWorkspace reads the objects of files and directories (searched
// recursively for .yaml, .yml and .json files, in name order; hidden
// entries skipped), in order, and says how many files it read.
func readWorkspace(paths []string) ([]*object, int, []*finding) {
	var files []string
	var findings []*finding
	for _, p := range paths {
		found, err := workspaceFiles(p)
		if err != nil {
			findings = append(findings, &finding{file: p, msg: err.Error()})
			continue
		}
		files = append(files, found...)
	}
	var objects []*object
	for _, f := range files {
		objs, found := readWorkspaceFile(f)
		objects, findings = append(objects, objs...), append(findings, found...)
	}
	return objects, len(files), findings
}

// workspaceFiles lists the workspace files a path names.
func workspaceFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != path && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && isWorkspaceFile(p) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("no .yaml, .yml or .json files in this directory")
	}
	slices.Sort(files)
	return files, nil
}

func isWorkspaceFile(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// readWorkspaceFile reads the objects of one file.
func readWorkspaceFile(path string) ([]*object, []*finding) {
	fail := func(line int, format string, args ...any) ([]*object, []*finding) {
		return nil, []*finding{{file: path, line: line, msg: fmt.Sprintf(format, args...)}}
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(0, "%v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, workspaceFileBytesMax+1))
	if err != nil {
		return fail(0, "%v", err)
	}
	if len(data) > workspaceFileBytesMax {
		return fail(0, "the file is over %d MiB", workspaceFileBytesMax>>20)
	}
	var docs []*value
	if strings.EqualFold(filepath.Ext(path), ".json") {
		v, err := valueOfJSON(data)
		if err != nil {
			return fail(lineOf(err), "%s", messageOf(err))
		}
		docs = []*value{v}
	} else {
		if docs, err = valuesOfYAML(data); err != nil {
			return fail(lineOf(err), "%s", messageOf(err))
		}
	}
	var objects []*object
	var findings []*finding
	for _, doc := range docs {
		items := []*value{doc}
		if doc.kind == arrayValue {
			items = doc.items
		}
		for _, item := range items {
			o := &object{file: path, index: len(objects) + 1, body: item}
			objects = append(objects, o)
			if item.kind != objectValue {
				findings = append(findings, &finding{file: path, line: item.line, object: o.label(),
					msg: "must be an object (with a kind and its fields), not " + item.typeName()})
				o.body = nil
				continue
			}
			findings = append(findings, o.readHeader()...)
		}
	}
	return objects, findings
}

// readHeader takes an object's kind, $schema and name.
func (o *object) readHeader() []*finding {
	var findings []*finding
	kindV := o.body.get("kind")
	kind, ok := kindV.str()
	switch {
	case kindV == nil:
		findings = append(findings, o.findingAt("kind", "is required: connection, tool, agent or flow"))
	case !ok || !slices.Contains(kindOrder, kind):
		findings = append(findings, o.findingAt("kind", "must be connection, tool, agent or flow"))
	default:
		o.kind = kind
	}
	if s := o.body.get("$schema"); s != nil {
		if _, ok := s.str(); !ok {
			findings = append(findings, o.findingAt("$schema", "must be a string (the URL of the object's schema)"))
		}
	}
	nameV := o.body.get("name")
	name, ok := nameV.str()
	if o.kind == kindAgent || o.kind == kindFlow {
		name = strings.TrimSpace(name) // as the API stores it
	}
	switch {
	case nameV == nil:
		findings = append(findings, o.findingAt("name", "is required: apply matches objects by kind and name"))
	case !ok || name == "":
		findings = append(findings, o.findingAt("name", "must be a non-empty string"))
	default:
		o.name = name
	}
	if o.kind == kindFlow {
		agentV := o.body.get("agent")
		agent, ok := agentV.str()
		agent = strings.TrimSpace(agent)
		switch {
		case agentV == nil:
			findings = append(findings, o.findingAt("agent", "is required: the name of the agent the flow belongs to"))
		case !ok || agent == "":
			findings = append(findings, o.findingAt("agent", "must be an agent's name"))
		default:
			o.agent = agent
		}
	}
	// Errors found before the kind name the object by its name.
	for _, p := range findings {
		p.object = o.label()
	}
	o.body.remove("kind")
	o.body.remove("$schema")
	return findings
}

// lineOf and messageOf split a positionError.
func lineOf(err error) int {
	var pe *positionError
	if errors.As(err, &pe) {
		return pe.line
	}
	return 0
}

func messageOf(err error) string {
	var pe *positionError
	if errors.As(err, &pe) {
		return pe.msg
	}
	return err.Error()
}

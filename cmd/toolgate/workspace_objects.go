package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/toolgate/toolgate/flows"
)

// desired is an object of the workspace files, ready to compare and write.
type desired struct {
	*object
	spec *kindSpec
	// public is the object's JSON without its secrets, as written.
	public *value
	norm   *normalized
	// secrets are the object's write-only values, resolved from the
	// environment, by key ("token"; "vapi.secret" for an agent).
	secrets []secretRef
	// secretsWritten says the object has its secrets member: -prune
	// deletes the secrets it does not name only then.
	secretsWritten bool
}

// secretRef is one write-only value of a file: a ${ENV_VAR} reference
// (resolved) or null (delete it).
type secretRef struct {
	key   string
	env   string
	value string
	// remove is a null: the secret is deleted when set.
	remove bool
}

// envRefPattern is a secret's value in a file: a whole ${ENV_VAR}.
var envRefPattern = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// prepare checks an object of the files and resolves its secrets. The
// findings name the file, the object and the field.
func prepare(o *object, getenv func(string) string) (*desired, []*finding) {
	spec := kindSpecs[o.kind]
	d := &desired{object: o, spec: spec}
	var findings []*finding
	public := *o.body
	public.keys, public.members = slices.Clone(public.keys), slices.Clone(public.members)
	secretsV := (*value)(nil)
	if spec.secrets != "" {
		secretsV = public.remove(spec.secrets)
	}
	if o.kind == kindFlow {
		public.remove("agent")
	}
	d.public = &public
	checkFields(d.public, spec.typ, "", func(path, msg string) {
		if msg == "unknown field" {
			msg = fmt.Sprintf("unknown field: the API does not take it (see /v1/schemas/%s.json)", o.kind)
		}
		findings = append(findings, o.findingAt(path, "%s", msg))
	})
	if len(findings) > 0 {
		return nil, findings
	}
	norm, err := spec.normalizedOf(d.public.JSON())
	if err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			got := "JSON " + typ.Value
			if v := o.body.at(typ.Field); v != nil && typ.Field != "" {
				got = v.typeName()
			}
			return nil, []*finding{o.findingAt(typ.Field, "must be %s, not %s", goTypeText(typ.Type.String()), got)}
		}
		return nil, []*finding{o.findingAt("", "%v", err)}
	}
	d.norm = norm
	if o.kind == kindFlow {
		if def := d.public.get("flow"); def != nil {
			if _, err := flows.Decode(def.JSON()); err != nil {
				var de *flows.DecodeError
				if !errors.As(err, &de) {
					return nil, []*finding{o.findingAt("flow", "%v", err)}
				}
				for _, issue := range de.Issues {
					findings = append(findings, o.findingAt(joinPath("flow", issue.Path), "%s", issue.Message))
				}
				return nil, findings
			}
		}
	}
	if secretsV != nil {
		d.secretsWritten = true
		d.secrets, findings = readSecrets(o, spec, secretsV, getenv)
	}
	if len(findings) > 0 {
		return nil, findings
	}
	return d, nil
}

// goTypeText names a Go type of the API's in a file's terms.
func goTypeText(t string) string {
	switch {
	case strings.HasPrefix(t, "map["):
		return "an object"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint") || strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "an object"
}

// readSecrets reads the secrets member of an object: {name: ref} for a
// connection, {platform: {field: ref}} for an agent. A literal value is
// refused (never repeated in the message), and so is a reference to an
// unset variable.
func readSecrets(o *object, spec *kindSpec, v *value, getenv func(string) string) ([]secretRef, []*finding) {
	var refs []secretRef
	var findings []*finding
	var walk func(v *value, path, key string, depth int)
	walk = func(v *value, path, key string, depth int) {
		if depth < spec.secretsDepth {
			if v.kind != objectValue {
				findings = append(findings, o.findingAt(path, "must be an object, not %s", v.typeName()))
				return
			}
			for i, k := range v.keys {
				walk(v.members[i], path+"."+k, strings.TrimPrefix(key+"."+k, "."), depth+1)
			}
			return
		}
		if v.isNull() {
			refs = append(refs, secretRef{key: key, remove: true})
			return
		}
		s, _ := v.str()
		m := envRefPattern.FindStringSubmatch(s)
		if m == nil {
			findings = append(findings, o.findingAt(path,
				"is a literal secret: secrets never go in files; write a ${ENV_VAR} reference and set that variable where apply runs"))
			return
		}
		val := getenv(m[1])
		if val == "" {
			findings = append(findings, o.findingAt(path, "the environment variable %s is not set", m[1]))
			return
		}
		refs = append(refs, secretRef{key: key, env: m[1], value: val})
	}
	walk(v, spec.secrets, "", 0)
	return refs, findings
}

// secretsJSON is the secrets member to send: the refs' values (null for
// a removal) nested as the kind keeps them.
func secretsJSON(refs []secretRef) map[string]any {
	out := map[string]any{}
	for _, r := range refs {
		var val any
		if !r.remove {
			val = r.value
		}
		platform, field, nested := strings.Cut(r.key, ".")
		if !nested {
			out[r.key] = val
			continue
		}
		inner, _ := out[platform].(map[string]any)
		if inner == nil {
			inner = map[string]any{}
			out[platform] = inner
		}
		inner[field] = val
	}
	return out
}

// remoteObject is an object as the gateway shows it.
type remoteObject struct {
	spec *kindSpec
	id   string
	name string
	// agent is a flow's agent, by name.
	agent string
	// url is the object's path in the admin API.
	url  string
	norm *normalized
	// secretsSet says which write-only values are set, by key.
	secretsSet map[string]bool
	// A tool's publication state.
	status      string
	version     int
	updatedAt   time.Time
	publishedAt *time.Time
}

// remoteOf reads an object of an admin API answer.
func remoteOf(spec *kindSpec, raw json.RawMessage) (*remoteObject, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("a %s the gateway sent is not an object: %w", spec.kind, err)
	}
	var head struct {
		ID          string     `json:"id"`
		Name        string     `json:"name"`
		Status      string     `json:"status"`
		Version     int        `json:"version"`
		UpdatedAt   time.Time  `json:"updated_at"`
		PublishedAt *time.Time `json:"published_at"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("a %s the gateway sent: %w", spec.kind, err)
	}
	r := &remoteObject{spec: spec, id: head.ID, name: head.Name, status: head.Status, version: head.Version,
		updatedAt: head.UpdatedAt, publishedAt: head.PublishedAt, secretsSet: map[string]bool{}, url: spec.path + "/" + head.ID}
	if spec.secrets != "" {
		secrets := fields[spec.secrets]
		delete(fields, spec.secrets)
		if err := readSecretStates(secrets, spec.secretsDepth, "", r.secretsSet); err != nil {
			return nil, fmt.Errorf("%s %s: %s: %w", spec.kind, head.Name, spec.secrets, err)
		}
	}
	public, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	if r.norm, err = spec.normalizedOf(public); err != nil {
		return nil, fmt.Errorf("%s %s: %w", spec.kind, head.Name, err)
	}
	return r, nil
}

// readSecretStates flattens {name: {"set": bool}} (depth 1) or
// {platform: {field: {"set": bool}}} (depth 2) into key → set.
func readSecretStates(raw json.RawMessage, depth int, prefix string, out map[string]bool) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if depth == 0 {
		var state struct {
			Set bool `json:"set"`
		}
		if err := json.Unmarshal(raw, &state); err != nil {
			return err
		}
		out[prefix] = state.Set
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := readSecretStates(m[k], depth-1, strings.TrimPrefix(prefix+"."+k, "."), out); err != nil {
			return err
		}
	}
	return nil
}

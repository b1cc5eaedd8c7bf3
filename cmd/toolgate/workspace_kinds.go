package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// kindSpec is what the client commands know of one kind of object: where
// the admin API keeps it, the Go type the API decodes it into, the
// defaults the API fills in and where its write-only secrets are.
type kindSpec struct {
	kind string
	// path is the admin API's collection ("/v1/admin/tools"); a flow's is
	// under its agent's (flowsPath).
	path string
	// dir is the kind's directory in an exported workspace ("tools").
	dir string
	// secrets is the member holding write-only secrets ("secrets",
	// "adapters"), "" when the kind has none; secretsDepth is 1 for
	// {name: value} and 2 for {platform: {field: value}}.
	secrets      string
	secretsDepth int
	// typ is the type the API decodes the object into.
	typ reflect.Type
	// normalize fills in what the API fills in when it stores the object
	// (defaults, case), so that what a file says and what the gateway
	// shows compare equal.
	normalize func(v any)
	// tidy leaves out of the comparable form the members that say no more
	// than their absence.
	tidy func(m map[string]any)
	// publishable kinds have drafts, validation and published versions.
	publishable bool
	// replaces says a PATCH replaces these members whole rather than
	// merging into them (a flow's definition).
	replaces []string
	// patchable are the members a PATCH takes, when not all.
	patchable []string
	// apiPath maps a field path of the API's answers (a validation
	// report's, a refusal's) to the file's; nil: the same.
	apiPath func(path string) string
}

// flowFile is a flow as files hold it, less its agent: the body of POST
// /v1/admin/agents/{id}/flows.
type flowFile struct {
	Name string          `json:"name"`
	Type string          `json:"type,omitempty"`
	Flow json.RawMessage `json:"flow,omitempty"`
}

// flowsPath is the collection of an agent's flows.
func flowsPath(agentID string) string { return "/v1/admin/agents/" + agentID + "/flows" }

var kindSpecs = map[string]*kindSpec{
	kindConnection: {
		kind: kindConnection, path: "/v1/admin/connections", dir: "connections", secrets: "secrets", secretsDepth: 1,
		typ: reflect.TypeFor[admin.ConnectionInput](),
		normalize: func(v any) {
			in := v.(*admin.ConnectionInput)
			in.Secrets = nil
			if in.Auth == nil {
				in.Auth = &tools.Auth{}
			}
			if in.Auth.Type == "" {
				in.Auth.Type = tools.AuthNone
			}
		},
		tidy: func(m map[string]any) {
			if c, ok := m["config"].(map[string]any); ok && len(c) == 0 {
				delete(m, "config")
			}
		},
	},
	kindTool: {
		kind: kindTool, path: "/v1/admin/tools", dir: "tools", publishable: true,
		typ: reflect.TypeFor[tools.Definition](),
		normalize: func(v any) {
			def := v.(*tools.Definition)
			def.Method = strings.ToUpper(strings.TrimSpace(def.Method))
			if def.Method == "" {
				def.Method = tools.MethodDefault
			}
			if def.TimeoutMS == 0 {
				def.TimeoutMS = tools.TimeoutMSDefault
			}
		},
	},
	kindAgent: {
		kind: kindAgent, path: "/v1/admin/agents", dir: "agents", secrets: "adapters", secretsDepth: 2,
		typ: reflect.TypeFor[admin.AgentInput](),
		normalize: func(v any) {
			in := v.(*admin.AgentInput)
			in.Name = strings.TrimSpace(in.Name)
			in.Adapters = nil
		},
	},
	kindFlow: {
		kind: kindFlow, dir: "flows", publishable: true,
		typ: reflect.TypeFor[flowFile](),
		normalize: func(v any) {
			f := v.(*flowFile)
			f.Name = strings.TrimSpace(f.Name)
			f.Type = cmp.Or(f.Type, store.FlowTypeConversation)
			if len(f.Flow) == 0 {
				f.Flow = json.RawMessage(`{}`) // a flow created without one
			}
		},
		tidy: func(m map[string]any) {
			if m["type"] == store.FlowTypeConversation {
				delete(m, "type")
			}
		},
		replaces:  []string{"flow"},
		patchable: []string{"name", "flow"},
		// Problems of the definition are named from its root.
		apiPath: func(path string) string {
			switch head, _, _ := strings.Cut(path, "."); head {
			case "", "name", "type", "flow":
				return path
			}
			return "flow." + path
		},
	},
}

// fieldPath is the path in a file of a field the API names.
func (k *kindSpec) fieldPath(apiPath string) string {
	if k.apiPath == nil {
		return apiPath
	}
	return k.apiPath(apiPath)
}

// errNoFlowsAPI is the answer to a flow in the files of a gateway without
// the flows admin API (an older version).
var errNoFlowsAPI = errors.New("flows are not supported by this gateway: it has no flows admin API")

// normalized is an object in the form apply compares: decoded into the
// API's type, with the API's defaults filled in, re-encoded; numbers as
// float64 (the API merges patches that way) and null members left out (a
// merge patch cannot write them).
type normalized struct {
	// typed is the object's JSON in the type's field order (nested
	// objects in the order they were written), for export.
	typed []byte
	// m is the comparable form.
	m map[string]any
}

// normalizedOf builds the normalized form of an object's public JSON
// (without its secrets member). Members the type does not know are
// ignored: the gateway's server-set fields (id, status, created_at...).
func (k *kindSpec) normalizedOf(public []byte) (*normalized, error) {
	ptr := reflect.New(k.typ)
	if err := json.Unmarshal(public, ptr.Interface()); err != nil {
		return nil, err
	}
	k.normalize(ptr.Interface())
	typed, err := json.Marshal(ptr.Interface())
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(typed, &m); err != nil {
		return nil, err
	}
	dropNulls(m)
	if k.tidy != nil {
		k.tidy(m)
	}
	return &normalized{typed: typed, m: m}, nil
}

// dropNulls removes the null members of objects, at every depth.
func dropNulls(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, m := range t {
			if m == nil {
				delete(t, k)
				continue
			}
			dropNulls(m)
		}
	case []any:
		for _, item := range t {
			dropNulls(item)
		}
	}
}

// changedFields lists the top-level members whose values differ, sorted.
func changedFields(have, want map[string]any) []string {
	var out []string
	for k, w := range want {
		if h, ok := have[k]; !ok || !reflect.DeepEqual(h, w) {
			out = append(out, k)
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// patchOf is the PATCH body that turns have into want: a merge patch,
// with the members the kind replaces whole sent whole (from want's JSON
// as written, so that their order is kept).
func (k *kindSpec) patchOf(have, want map[string]any, written *value) map[string]any {
	p := mergePatch(have, want)
	for _, member := range k.replaces {
		if _, changed := p[member]; changed {
			if v := written.get(member); v != nil {
				p[member] = json.RawMessage(v.JSON())
			}
		}
	}
	return p
}

// mergePatch is the RFC 7386 merge patch that turns have into want.
func mergePatch(have, want map[string]any) map[string]any {
	p := map[string]any{}
	for k, w := range want {
		h, ok := have[k]
		if ok && reflect.DeepEqual(h, w) {
			continue
		}
		hm, hIsObj := h.(map[string]any)
		wm, wIsObj := w.(map[string]any)
		if ok && hIsObj && wIsObj {
			p[k] = mergePatch(hm, wm)
		} else {
			p[k] = w
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			p[k] = nil
		}
	}
	return p
}

// checkFields reports the members of v that t (the type the API decodes
// it into) does not have, and the values of the wrong JSON type, with
// their paths ("tools[1].name"): the API would refuse them naming at most
// the member.
func checkFields(v *value, t reflect.Type, path string, report func(path, msg string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() || t.Kind() == reflect.Interface || v.isNull() {
		return
	}
	wrong := func(want string) { report(path, fmt.Sprintf("must be %s, not %s", want, v.typeName())) }
	switch t.Kind() {
	case reflect.Struct:
		if v.kind != objectValue {
			wrong("an object")
			return
		}
		fields := jsonFields(t)
		for i, key := range v.keys {
			ft, ok := fields[key]
			if !ok {
				report(joinPath(path, key), "unknown field")
				continue
			}
			checkFields(v.members[i], ft, joinPath(path, key), report)
		}
	case reflect.Slice, reflect.Array:
		if v.kind != arrayValue {
			wrong("a list")
			return
		}
		for i, item := range v.items {
			checkFields(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), report)
		}
	case reflect.Map:
		if v.kind != objectValue {
			wrong("an object")
			return
		}
		for i, key := range v.keys {
			checkFields(v.members[i], t.Elem(), joinPath(path, key), report)
		}
	case reflect.String:
		if _, ok := v.str(); !ok {
			wrong("a string")
		}
	case reflect.Bool:
		if v.raw != "true" && v.raw != "false" {
			wrong("a boolean")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.typeName() != "a number" {
			wrong("a whole number")
		} else if _, err := strconv.ParseInt(v.raw, 10, 64); err != nil {
			report(path, fmt.Sprintf("must be a whole number, not %s", v.raw))
		}
	case reflect.Float32, reflect.Float64:
		if v.typeName() != "a number" {
			wrong("a number")
		}
	}
}

// jsonFields are a struct type's JSON members and their types, embedded
// structs' included.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = ft
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// envName is the environment variable export writes for a secret:
// the object's and the secret's names, upper case, other characters
// than letters and digits as "_" (backend, token → BACKEND_TOKEN;
// support-bot, vapi.secret → SUPPORT_BOT_VAPI_SECRET).
func envName(objectName, secret string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(objectName + "_" + secret) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	return s
}

package schema

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// ErrInvalidJSON is returned by [Schema.ValidateJSON] when the arguments are
// not one well-formed JSON value.
var ErrInvalidJSON = errors.New("arguments are not valid JSON")

// Issue is one problem with the arguments, other than a missing required
// property (those are in [ValidationResult.Missing]).
type Issue struct {
	// Path locates the offending value, dot style: email, address.city,
	// items[2].id. It is empty when the problem is the arguments as a whole.
	Path string `json:"path"`
	// Message says what the value must be, in words a model can act on:
	// "must be a valid email address".
	Message string `json:"message"`
}

// ValidationResult lists what is wrong with a tool call's arguments. A nil
// result means the arguments are valid.
type ValidationResult struct {
	// Issues are the invalid values, sorted by path then message.
	Issues []Issue `json:"issues,omitempty"`
	// Missing are the required properties that were not given, as full dotted
	// paths (phone_number, address.zip), sorted.
	Missing []string `json:"missing,omitempty"`
}

// OK reports whether the arguments were valid. It is safe to call on a nil
// result, which is what Validate returns for valid arguments.
func (r *ValidationResult) OK() bool {
	return r == nil || (len(r.Issues) == 0 && len(r.Missing) == 0)
}

// String renders the result on one line for logs:
// "missing phone_number; email: must be a valid email address".
func (r *ValidationResult) String() string {
	if r.OK() {
		return "ok"
	}
	var parts []string
	if len(r.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(r.Missing, ", "))
	}
	for _, is := range r.Issues {
		if is.Path == "" {
			parts = append(parts, is.Message)
			continue
		}
		parts = append(parts, is.Path+": "+is.Message)
	}
	return strings.Join(parts, "; ")
}

// Validate checks args against the schema and returns nil when they are
// valid.
//
// args is a decoded JSON value: the output of json.Unmarshal into an any
// (numbers as float64) or of [jsonschema.UnmarshalJSON] (numbers as
// json.Number). Prefer [Schema.ValidateJSON] for raw bytes: float64 cannot
// hold every integer above 2^53 exactly, json.Number can.
func (s *Schema) Validate(args any) *ValidationResult {
	err := s.compiled.Validate(args)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &ValidationResult{Issues: []Issue{{Message: err.Error()}}}
	}
	issues, missing := collect(ve, args, "")
	return &ValidationResult{Issues: issues, Missing: missing}
}

// ValidateJSON decodes data, keeping numbers exact (as json.Number), and
// validates it. It returns the decoded arguments so the caller need not decode
// them again. Malformed JSON, including empty input or trailing data, is an
// error wrapping [ErrInvalidJSON].
func (s *Schema) ValidateJSON(data []byte) (*ValidationResult, any, error) {
	args, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidJSON, err)
	}
	return s.Validate(args), args, nil
}

// collector flattens the library's error tree into leaf issues and missing
// properties. root is the value validated, which tells array indexes from
// property names; prefix names the root in rendered paths.
type collector struct {
	root    any
	prefix  string
	issues  []Issue
	missing []string
}

// collect returns the sorted, de-duplicated issues and missing paths of ve.
func collect(ve *jsonschema.ValidationError, root any, prefix string) ([]Issue, []string) {
	c := collector{root: root, prefix: prefix}
	c.walk(ve)
	slices.SortFunc(c.issues, func(a, b Issue) int {
		return cmpIssue(a, b)
	})
	c.issues = slices.Compact(c.issues)
	slices.Sort(c.missing)
	c.missing = slices.Compact(c.missing)
	return c.issues, c.missing
}

func cmpIssue(a, b Issue) int {
	if c := strings.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	return strings.Compare(a.Message, b.Message)
}

func (c *collector) path(tokens []string) string {
	return renderPath(c.prefix, c.root, tokens)
}

func (c *collector) add(tokens []string, message string) {
	c.issues = append(c.issues, Issue{Path: c.path(tokens), Message: message})
}

func (c *collector) walk(e *jsonschema.ValidationError) {
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		c.addMissing(e.InstanceLocation, k.Missing)
	case *kind.DependentRequired:
		c.addMissing(e.InstanceLocation, k.Missing)
	case *kind.Dependency:
		c.addMissing(e.InstanceLocation, k.Missing)
	case *kind.AdditionalProperties:
		parent := c.path(e.InstanceLocation)
		for _, name := range k.Properties {
			c.issues = append(c.issues, Issue{Path: joinPath(parent, name), Message: "is not an allowed property; remove it"})
		}
	case *kind.PropertyNames:
		c.add(e.InstanceLocation, fmt.Sprintf("has a property named %q, which is not allowed", k.Property))
	case *kind.AnyOf:
		c.alternatives(e)
	case *kind.OneOf:
		if len(k.Subschemas) == 0 {
			c.alternatives(e)
			return
		}
		c.add(e.InstanceLocation, "matches more than one of the allowed forms; it must match exactly one")
	default:
		if len(e.Causes) == 0 {
			c.add(e.InstanceLocation, describe(e.ErrorKind))
			return
		}
		for _, cause := range e.Causes {
			c.walk(cause)
		}
	}
}

func (c *collector) addMissing(at []string, names []string) {
	parent := c.path(at)
	for _, name := range names {
		c.missing = append(c.missing, joinPath(parent, name))
	}
}

// alternatives reports a failed anyOf or oneOf. Branches that failed only
// because the value has another type are set aside: when exactly one branch
// is left, its errors are the useful ones and are reported as they are; when
// none is left, the value has the wrong type and the allowed types are named;
// otherwise each remaining branch is summarized.
func (c *collector) alternatives(e *jsonschema.ValidationError) {
	var (
		want     []string
		got      string
		relevant []*jsonschema.ValidationError
	)
	for _, branch := range e.Causes {
		if types, g, ok := typeMismatch(branch, e.InstanceLocation); ok {
			want = append(want, types...)
			got = g
			continue
		}
		relevant = append(relevant, branch)
	}
	switch len(relevant) {
	case 0:
		slices.Sort(want)
		c.add(e.InstanceLocation, describe(&kind.Type{Got: got, Want: slices.Compact(want)}))
		return
	case 1:
		c.walk(relevant[0])
		return
	}

	at := c.path(e.InstanceLocation)
	subs := make([]collector, len(relevant))
	onlyMissing := true
	for i, branch := range relevant {
		subs[i] = collector{root: c.root, prefix: c.prefix}
		subs[i].walk(branch)
		if len(subs[i].issues) > 0 || len(subs[i].missing) == 0 {
			onlyMissing = false
		}
	}
	parts := make([]string, len(subs))
	if onlyMissing {
		// anyOf: [{required: [phone]}, {required: [email]}]
		single := true
		for i := range subs {
			parts[i] = strings.Join(subs[i].missing, " and ")
			single = single && len(subs[i].missing) == 1
		}
		needs := strings.Join(parts, "; or ")
		if single {
			needs = orList(parts)
		}
		c.issues = append(c.issues, Issue{Path: at, Message: "needs " + needs})
		return
	}
	for i := range subs {
		parts[i] = subs[i].summary(at)
	}
	c.issues = append(c.issues, Issue{Path: at, Message: "must match one of the allowed forms: " + strings.Join(parts, "; or ")})
}

// summary renders what a branch of an anyOf or oneOf found, relative to at.
func (c *collector) summary(at string) string {
	parts := make([]string, 0, len(c.missing)+len(c.issues))
	for _, m := range c.missing {
		parts = append(parts, m+" is required")
	}
	for _, is := range c.issues {
		if is.Path == at {
			parts = append(parts, is.Message)
			continue
		}
		parts = append(parts, is.Path+" "+is.Message)
	}
	return strings.Join(parts, ", ")
}

// typeMismatch reports whether branch failed only because the value at loc is
// of another type, and which types the branch wanted.
func typeMismatch(branch *jsonschema.ValidationError, loc []string) (want []string, got string, ok bool) {
	if k, isType := branch.ErrorKind.(*kind.Type); isType {
		return k.Want, k.Got, slices.Equal(branch.InstanceLocation, loc)
	}
	if len(branch.Causes) == 0 {
		return nil, "", false
	}
	switch branch.ErrorKind.(type) {
	case *kind.Group, *kind.Reference, *kind.AllOf, *kind.Schema:
	default:
		return nil, "", false
	}
	for _, cause := range branch.Causes {
		w, g, ok := typeMismatch(cause, loc)
		if !ok {
			return nil, "", false
		}
		want = append(want, w...)
		got = g
	}
	return want, got, true
}

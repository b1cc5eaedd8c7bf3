package openapi

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/toolgate/toolgate/tools"
)

// Options choose what Convert imports and how it names things.
type Options struct {
	// Include filters the operations; no filter imports them all.
	Include Include
	// NamePrefix is put before every tool name ("gh_"): [A-Za-z0-9_-], at
	// most NamePrefixMax characters.
	NamePrefix string
	// ExistingNames reports whether a tool name is taken in the workspace
	// by a tool this import must not overwrite; a taken name gets a _2, _3...
	// suffix. A tool made by an earlier import of the same operation should
	// not count as taken, so that re-importing updates it. Nil: none taken.
	ExistingNames func(name string) bool
	// ConnectionName names the connection the tools call through. Defaults
	// to a name made from the document's title ("GitHub v3 REST API" →
	// "github-v3-rest-api").
	ConnectionName string
	// BaseURL is the connection's base URL. Defaults to the document's first
	// server (its variables set to their defaults).
	BaseURL string
}

// Include selects operations. An operation is imported when it matches
// every filter that is given; within one filter, any value matches.
type Include struct {
	// Operations are operationIds ("repos/get"), or "METHOD /path" for an
	// operation without one ("GET /pets/{petId}").
	Operations []string `json:"operations,omitempty"`
	// Tags match an operation with any of them.
	Tags []string `json:"tags,omitempty"`
	// Methods match case-insensitively ("GET", "post").
	Methods []string `json:"methods,omitempty"`
}

// NamePrefixMax bounds Options.NamePrefix.
const NamePrefixMax = 32

// FieldWarning is something the admin should look at in an imported tool or
// connection, named by the field it concerns (input_schema.properties.tags,
// query.tags, auth.username).
type FieldWarning struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Result is what Convert produces: the connection the tools call through,
// the draft tools, the operations it skipped and why, and the counts.
type Result struct {
	Connection ConnectionSpec `json:"connection"`
	Tools      []ImportedTool `json:"tools"`
	Skipped    []Skipped      `json:"skipped"`
	Summary    Summary        `json:"summary"`
	// Warnings concern the document as a whole (a filter that matched no
	// operation, webhooks that are not imported).
	Warnings []FieldWarning `json:"warnings"`
}

// ConnectionSpec is the connection the imported tools name: created, or
// reused when it exists. Secrets are never set: the admin fills them in.
type ConnectionSpec struct {
	Name    string     `json:"name"`
	BaseURL string     `json:"base_url"`
	Auth    tools.Auth `json:"auth"`
	// Warnings say what the admin must still set (a client ID, a username)
	// and which security schemes of the document could not be used.
	Warnings []FieldWarning `json:"warnings"`
}

// ImportedTool is one operation made into a draft tool.
type ImportedTool struct {
	Definition  tools.Definition `json:"definition"`
	OperationID string           `json:"operation_id"`
	Method      string           `json:"method"`
	Path        string           `json:"path"`
	// Valid reports whether the draft passes tools.Validate (with the
	// connection's secrets set); when it does not, Warnings say why.
	Valid    bool           `json:"valid"`
	Warnings []FieldWarning `json:"warnings"`
}

// Skipped is an operation that was not imported, and why.
type Skipped struct {
	OperationID string `json:"operation_id"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Reason      string `json:"reason"`
}

// Summary counts the operations the filters selected, and how many of them
// were imported and skipped.
type Summary struct {
	Operations int `json:"operations"`
	Imported   int `json:"imported"`
	Skipped    int `json:"skipped"`
}

// OptionError is an Options field that cannot be used. Field is named as
// in the import request: name_prefix, connection.name, connection.base_url,
// include.methods[0].
type OptionError struct {
	Field   string
	Message string
}

// Error implements error.
func (e *OptionError) Error() string { return e.Field + ": " + e.Message }

// operation is one operation of the document, in document terms.
type operation struct {
	method   string // upper case
	path     string
	item     *openapi3.PathItem
	op       *openapi3.Operation
	id       string
	pathSkip string // why the whole path item cannot be read
}

// methodOrder is the order operations of one path are listed in.
var methodOrder = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "CONNECT", "QUERY"}

// Convert makes draft tools and a connection from a parsed document. It
// never fails for a problem of one operation: that operation is skipped
// with a reason, or imported with warnings. It fails only for Options it
// cannot use (an *OptionError).
func Convert(doc *Document, opts Options) (*Result, error) {
	if err := validateOptions(&opts); err != nil {
		return nil, err
	}
	res := &Result{Tools: []ImportedTool{}, Skipped: []Skipped{}, Warnings: []FieldWarning{}}
	ops := listOperations(doc.doc)
	selected := filterOperations(ops, opts.Include, res)

	conn := buildConnection(doc, opts, selected)
	res.Connection = conn.spec
	c := &converter{
		doc:   doc,
		conn:  conn,
		names: newNamer(opts.NamePrefix, opts.ExistingNames),
		validateConn: &tools.Connection{
			Name: conn.spec.Name, BaseURL: conn.spec.BaseURL, Auth: conn.spec.Auth,
			Secrets: fakeSecrets(conn.spec.Auth),
		},
	}
	for _, o := range selected {
		tool, reason := c.operationTool(o)
		if reason != "" {
			res.Skipped = append(res.Skipped, Skipped{OperationID: o.id, Method: o.method, Path: o.path, Reason: reason})
			continue
		}
		res.Tools = append(res.Tools, *tool)
	}
	if len(doc.doc.Webhooks) > 0 {
		res.Warnings = append(res.Warnings, FieldWarning{Path: "webhooks", Message: fmt.Sprintf("%d webhooks are requests the API sends, not operations; they are not imported", len(doc.doc.Webhooks))})
	}
	res.Summary = Summary{Operations: len(selected), Imported: len(res.Tools), Skipped: len(res.Skipped)}
	return res, nil
}

var connNameInvalid = regexp.MustCompile(`[^a-z0-9]+`)

func validateOptions(opts *Options) error {
	if len(opts.NamePrefix) > NamePrefixMax {
		return &OptionError{Field: "name_prefix", Message: fmt.Sprintf("must be at most %d characters", NamePrefixMax)}
	}
	if opts.NamePrefix != "" && !tools.ValidName(opts.NamePrefix) {
		return &OptionError{Field: "name_prefix", Message: "may hold only letters, digits, '_' and '-'"}
	}
	if opts.ConnectionName != "" && !tools.ValidName(opts.ConnectionName) {
		return &OptionError{Field: "connection.name", Message: "must match ^[a-zA-Z0-9_-]{1,64}$"}
	}
	if opts.BaseURL != "" {
		if err := tools.ValidateBaseURL(opts.BaseURL); err != nil {
			return &OptionError{Field: "connection.base_url", Message: err.Error()}
		}
	}
	for i, m := range opts.Include.Methods {
		if !slices.Contains(methodOrder, strings.ToUpper(m)) {
			return &OptionError{Field: "include.methods[" + strconv.Itoa(i) + "]", Message: fmt.Sprintf("%q is not an HTTP method of OpenAPI", m)}
		}
	}
	return nil
}

// listOperations returns every operation of the document, by path (sorted)
// then method (methodOrder).
func listOperations(doc *openapi3.T) []operation {
	if doc.Paths == nil {
		return nil
	}
	var ops []operation
	paths := doc.Paths.Map()
	for _, path := range sortedKeys(paths) {
		item := paths[path]
		if item == nil {
			continue
		}
		if ref := unresolvedRef(item.Extensions); ref != "" {
			ops = append(ops, operation{path: path, pathSkip: unresolvedReason(ref)})
			continue
		}
		byMethod := item.Operations()
		for _, m := range methodOrder {
			op := byMethod[m]
			if op == nil {
				continue
			}
			ops = append(ops, operation{method: m, path: path, item: item, op: op, id: op.OperationID})
		}
		for _, m := range sortedKeys(item.AdditionalOperations) {
			if op := item.AdditionalOperations[m]; op != nil {
				ops = append(ops, operation{method: strings.ToUpper(m), path: path, item: item, op: op, id: op.OperationID})
			}
		}
	}
	return ops
}

// filterOperations keeps the operations opts selects and warns about
// operation filters that matched nothing.
func filterOperations(ops []operation, inc Include, res *Result) []operation {
	matchedID := map[string]bool{}
	var out []operation
	for _, o := range ops {
		if o.op == nil { // an unreadable path item: kept unless a filter excludes every operation
			if len(inc.Operations) == 0 && len(inc.Tags) == 0 && len(inc.Methods) == 0 {
				out = append(out, o)
			}
			continue
		}
		if len(inc.Methods) > 0 && !slices.ContainsFunc(inc.Methods, func(m string) bool { return strings.EqualFold(m, o.method) }) {
			continue
		}
		if len(inc.Tags) > 0 && !slices.ContainsFunc(o.op.Tags, func(t string) bool { return slices.Contains(inc.Tags, t) }) {
			continue
		}
		if len(inc.Operations) > 0 {
			key := o.method + " " + o.path
			hit := ""
			for _, want := range inc.Operations {
				if (o.id != "" && want == o.id) || strings.EqualFold(want, key) {
					hit = want
				}
			}
			if hit == "" {
				continue
			}
			matchedID[hit] = true
		}
		out = append(out, o)
	}
	for i, want := range inc.Operations {
		if !matchedID[want] {
			res.Warnings = append(res.Warnings, FieldWarning{
				Path:    "include.operations[" + strconv.Itoa(i) + "]",
				Message: fmt.Sprintf("no operation %q in the document (give an operationId, or METHOD /path)", want),
			})
		}
	}
	return out
}

// defaultConnectionName makes a connection name from the document title.
func defaultConnectionName(title string) string {
	title = strings.NewReplacer("'", "", "’", "").Replace(strings.ToLower(title))
	name := strings.Trim(connNameInvalid.ReplaceAllString(title, "-"), "-")
	if len(name) > nameMaxLen {
		name = strings.TrimRight(name[:nameMaxLen], "-")
	}
	if name == "" {
		return "api"
	}
	return name
}

// serverURL returns the URL of a server with its variables set to their
// defaults.
func serverURL(s *openapi3.Server) string {
	if s == nil {
		return ""
	}
	u := s.URL
	for _, name := range sortedKeys(s.Variables) {
		if v := s.Variables[name]; v != nil {
			u = strings.ReplaceAll(u, "{"+name+"}", v.Default)
		}
	}
	return u
}

// isAbsoluteHTTP reports whether s is an absolute http(s) URL.
func isAbsoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

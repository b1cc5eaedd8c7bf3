package tools

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/toolgate/toolgate/schema"
)

// descriptionMinLen is the length under which a description is unlikely to
// tell a model when to call the tool.
const descriptionMinLen = 40

// maxResponseCap bounds response.max_bytes.
const maxResponseCap = 1 << 20

// Report is the result of validating a tool definition. A tool with errors
// cannot be published; warnings point at likely mistakes.
type Report struct {
	Valid    bool         `json:"valid"`
	Errors   []FieldError `json:"errors"`
	Warnings []FieldError `json:"warnings"`
}

// Validate checks a definition. conn is the connection it names, or nil
// when it names none or the named one does not exist.
func Validate(def *Definition, conn *Connection) *Report {
	v := &validator{def: def}
	v.check(conn)
	return &Report{Valid: len(v.errs) == 0, Errors: orEmpty(v.errs), Warnings: orEmpty(v.warns)}
}

func orEmpty(s []FieldError) []FieldError {
	if s == nil {
		return []FieldError{}
	}
	return s
}

type validator struct {
	def   *Definition
	errs  []FieldError
	warns []FieldError
}

func (v *validator) err(path, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) warn(path, format string, args ...any) {
	v.warns = append(v.warns, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) check(conn *Connection) {
	d := v.def
	if !ValidName(d.Name) {
		v.err("name", "must match ^[a-zA-Z0-9_-]{1,64}$")
	}
	switch desc := strings.TrimSpace(d.Description); {
	case desc == "":
		v.err("description", "is required: say when the model may call this tool")
	case len(desc) < descriptionMinLen:
		v.warn("description", "is too short to tell the model when to call the tool; say what it does and which facts must be known first")
	}
	method := d.EffectiveMethod()
	if !slices.Contains(Methods, method) {
		v.err("method", "must be GET, POST, PUT, PATCH or DELETE")
	}
	urlAndConnection := d.URL != "" && (d.Connection != "" || d.Path != "")
	switch {
	case urlAndConnection:
		// One problem, one error: the request cannot be checked further
		// until it says where it goes.
		v.err("url", "give either url or connection + path, not both")
	case d.URL == "" && d.Connection == "":
		v.err("url", "is required unless connection + path is given")
	case d.URL == "" && d.Path == "":
		v.warn("path", "is empty: the call goes to the connection's base URL")
	case d.URL != "" && d.Path != "":
		v.err("path", "applies only with a connection; put the whole URL in url")
	}
	if d.Connection != "" && conn == nil && !urlAndConnection {
		v.err("connection", "no connection named %q in this workspace", d.Connection)
	}
	if d.TimeoutMS != 0 && (d.TimeoutMS < TimeoutMSMin || d.TimeoutMS > TimeoutMSMax) {
		v.err("timeout_ms", "must be from %d to %d", TimeoutMSMin, TimeoutMSMax)
	}
	if r := d.Response; r != nil {
		if r.MaxBytes < 0 || r.MaxBytes > maxResponseCap {
			v.err("response.max_bytes", "must be from 1 to %d", maxResponseCap)
		}
		for i, p := range r.Select {
			if strings.TrimSpace(p) == "" {
				v.err(fmt.Sprintf("response.select[%d]", i), "must not be empty")
			}
		}
	}
	if r := d.Retry; r != nil && (r.MaxAttempts < 0 || r.MaxAttempts > MaxAttemptsMax) {
		v.err("retry.max_attempts", "must be from 1 to %d", MaxAttemptsMax)
	}
	if len(d.Body) > 0 && (method == "GET" || method == "DELETE") {
		v.warn("body", "is ignored: %s requests send no body", method)
	}
	for _, name := range slices.Sorted(maps.Keys(d.Headers)) {
		v.errs = append(v.errs, ValidateHeader("headers", name, d.Headers[name])...)
	}
	if _, fields := literalCredentials(d); len(fields) > 0 {
		for _, f := range fields {
			v.warn(f, "holds a literal credential: it is redacted like a secret, but belongs in a connection's secrets ({{secret.name}}), where it is sealed and write-only")
		}
	}

	sch, err := schema.Compile(d.InputSchema)
	if err != nil {
		var ce *schema.CompileError
		if errors.As(err, &ce) {
			v.err("input_schema"+strings.TrimPrefix(ce.Path, schema.RootPath), "%s", ce.Message)
		} else {
			v.err("input_schema", "%v", err)
		}
	}
	if len(d.OutputSchema) > 0 {
		v.checkOutputSchema()
	}
	v.checkGuardrails(sch)
	if urlAndConnection {
		return
	}
	rt, err := NewRequestTemplate(d)
	if err != nil {
		var re *RenderError
		var pe *ParseError
		switch {
		case errors.As(err, &re):
			v.err(re.Field, "%s", re.Reason)
		case errors.As(err, &pe):
			v.err(pe.Field, "%s", pe.Error())
		default:
			v.err("url", "%v", err)
		}
		return
	}
	v.checkPlaceholders(rt, sch, conn)
}

// checkOutputSchema checks that output_schema is a JSON Schema. It may
// describe any JSON result: MCP, whose outputSchema must be an object,
// publishes a result of another type wrapped as {"result": ...}.
func (v *validator) checkOutputSchema() {
	const field = "output_schema"
	if _, err := schema.CompileResult(v.def.OutputSchema); err != nil {
		var ce *schema.CompileError
		if errors.As(err, &ce) {
			v.err(field+strings.TrimPrefix(ce.Path, schema.RootPath), "%s", ce.Message)
		} else {
			v.err(field, "%v", err)
		}
	}
}

// checkPlaceholders relates the templates to the schema and connection.
func (v *validator) checkPlaceholders(rt *RequestTemplate, sch *schema.Schema, conn *Connection) {
	d := v.def
	used := map[string]bool{}
	for _, ph := range rt.Placeholders() {
		top := ph.Path[0].Key
		switch ph.Root {
		case RootArgs:
			used[top] = true
			if sch != nil && !slices.Contains(sch.Properties(), top) {
				v.warn("input_schema", "%s names no property of the schema", ph.String())
			}
		case RootConn:
			if conn != nil {
				if _, ok := conn.Config[top]; !ok {
					v.warn("connection", "%s: connection %s has no config value %s", ph.String(), conn.Name, top)
				}
			} else if d.Connection == "" {
				v.err(placeholderField(rt, ph), "%s needs a connection", ph.String())
			}
		case RootSecret:
			if conn != nil {
				if _, ok := conn.Secrets[top]; !ok {
					v.warn("connection", "%s: connection %s has no secret %s set", ph.String(), conn.Name, top)
				}
			} else if d.Connection == "" {
				v.err(placeholderField(rt, ph), "%s needs a connection", ph.String())
			}
		}
	}
	for _, h := range rt.headers { // parsed as the request renders them, {{context.x?}} included
		if !IsCredentialHeader(h.name) {
			continue
		}
		for _, ph := range h.t.placeholders {
			if ph.Root == RootArgs || ph.Root == RootContext {
				v.err(h.field, "a credential header cannot come from the caller's %s", ph.String())
			}
		}
	}
	if sch != nil && !rt.BodyIsArguments() {
		for _, req := range sch.Required() {
			if !used[req] {
				v.warn("input_schema.required", "required property %s is used by no template, so the model must supply it for nothing", req)
			}
		}
	}
	if conn != nil {
		for _, name := range conn.Auth.SecretNames() {
			if conn.Secrets[name] == "" {
				v.warn("connection", "connection %s has no %s secret set; calls will fail with auth_error", conn.Name, name)
			}
		}
	}
}

func joinPath(prefix, path string) string {
	if path == "" {
		return prefix
	}
	return prefix + "." + path
}

// placeholderField names the definition field holding a placeholder: a
// header or query parameter, else the url or the body.
func placeholderField(rt *RequestTemplate, ph Placeholder) string {
	for _, fields := range [][]fieldTemplate{rt.headers, rt.query} {
		for _, f := range fields {
			for _, p := range f.t.placeholders {
				if p.Raw == ph.Raw {
					return f.field
				}
			}
		}
	}
	if rt.url.t != nil {
		for _, p := range rt.url.t.placeholders {
			if p.Raw == ph.Raw {
				return rt.url.field
			}
		}
	}
	return "body"
}

package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// ResponseMaxBytes caps the response an API_CALL saves into a variable; a
// longer one is saved as text ending in a truncation marker.
const ResponseMaxBytes = 64 << 10

// Template roots a flow may use where.
var (
	// parseOptions accept {{variables.*}} besides the roots of tools.
	parseOptions = tools.ParseOptions{AllowRoots: []string{tools.RootVariables}}
	// requestParseOptions are the language of an API_CALL's request and a
	// tool action's args, as tools parses them: an optional context value,
	// {{context.x?}}, is accepted too, and tools refuses it where it is not
	// the whole value of a header, query parameter or body object field.
	requestParseOptions = tools.ParseOptions{AllowRoots: parseOptions.AllowRoots, AllowOptional: true}
	// messageRoots are the roots of messages shown to the user: never a
	// connection's config or secrets.
	messageRoots = []string{tools.RootVariables, tools.RootContext}
	// requestRoots are the roots of an API_CALL's path, URL, headers and
	// body.
	requestRoots = []string{tools.RootVariables, tools.RootContext, tools.RootConn, tools.RootSecret}
)

// outcomeClasses are the keys of an action's on besides "status:NNN".
var outcomeClasses = []string{
	tools.OutcomeSuccess, tools.OutcomeClientError, tools.OutcomeServerError, tools.OutcomeTimeout,
	tools.OutcomeNetworkError, tools.OutcomeBlocked, tools.OutcomeAuthError, tools.OutcomeConfigError,
	tools.OutcomeInvalidArguments,
}

// VersionInfo names the published flow version a Program runs: it is
// carried by every API_CALL's run.
type VersionInfo struct {
	FlowID   string
	FlowName string
	Version  int
}

// Program is a published flow version compiled once: templates parsed,
// conditions and input schemas compiled, each API_CALL's request prepared.
// It is immutable and safe for concurrent use.
type Program struct {
	info   VersionInfo
	start  string
	states map[string]*compiledState
}

// Info returns the version the program runs.
func (p *Program) Info() VersionInfo { return p.info }

type compiledState struct {
	name        string
	message     *tools.Template // nil when the state shows none
	input       *compiledInput
	actions     []*compiledAction
	transitions []*compiledTransition
	end         bool
}

type compiledInput struct {
	saveTo string
	schema *schema.Schema // nil: any message
	retry  *tools.Template
}

type compiledTransition struct {
	cond *condition // nil: the fallback
	to   string
}

type compiledAction struct {
	index         int
	saveTo        string
	fireAndForget bool
	success       string
	failure       string
	on            map[string]string
	// request is the prepared HTTP request of an integration or url
	// action; nil for a tool action.
	request *tools.Prepared
	// tool and args are a tool action's tool name and argument template.
	tool string
	args *tools.RequestTemplate
}

// CompileError is a definition that cannot run: the errors Validate
// reports, other than the lookups of connections and tools.
type CompileError struct {
	Issues []tools.FieldError
}

// Error implements error.
func (e *CompileError) Error() string {
	parts := make([]string, 0, len(e.Issues))
	for _, is := range e.Issues {
		parts = append(parts, is.Path+": "+is.Message)
	}
	return "flow definition has errors: " + strings.Join(parts, "; ")
}

// Compile compiles a definition for running. It fails with a
// *CompileError when the definition has errors (see Validate).
func Compile(info VersionInfo, def *Definition) (*Program, error) {
	c := newCompiler(info, def)
	p := c.compile()
	if len(c.errs) > 0 {
		return nil, &CompileError{Issues: c.errs}
	}
	return p, nil
}

// CompileJSON decodes a stored definition and compiles it.
func CompileJSON(info VersionInfo, raw []byte) (*Program, error) {
	def, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	return Compile(info, def)
}

// compiler compiles a definition and collects its problems.
type compiler struct {
	info  VersionInfo
	def   *Definition
	errs  []tools.FieldError
	warns []tools.FieldError
	// sets are the variables some input or action sets.
	sets map[string]bool
	// uses are the {{variables.x}} placeholders, with where they are.
	uses []variableUse
}

type variableUse struct {
	path string
	ph   tools.Placeholder
}

func newCompiler(info VersionInfo, def *Definition) *compiler {
	return &compiler{info: info, def: def, sets: map[string]bool{}}
}

func (c *compiler) err(path, format string, args ...any) {
	c.errs = append(c.errs, tools.FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *compiler) warn(path, format string, args ...any) {
	c.warns = append(c.warns, tools.FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// stateNames returns the definition's state names, sorted, so problems are
// reported in a stable order.
func (c *compiler) stateNames() []string {
	return slices.Sorted(maps.Keys(c.def.States))
}

func (c *compiler) compile() *Program {
	d := c.def
	p := &Program{info: c.info, start: d.Start, states: make(map[string]*compiledState, len(d.States))}
	switch {
	case d.Start == "":
		c.err("start", "is required: name the state a session begins in")
	case d.States[d.Start] == nil:
		c.err("start", "names no state (%q)", d.Start)
	}
	for _, name := range c.stateNames() {
		path := "states." + name
		st := d.States[name]
		if !tools.ValidName(name) {
			c.err(path, "state names must match ^[a-zA-Z0-9_-]{1,64}$")
		}
		if st == nil {
			c.err(path, "must be an object")
			continue
		}
		p.states[name] = c.compileState(path, name, st)
	}
	return p
}

func (c *compiler) compileState(path, name string, st *State) *compiledState {
	cs := &compiledState{name: name, end: st.End}
	cs.message = c.template(path+".message", st.Message, messageRoots)
	if in := st.Input; in != nil {
		cs.input = c.compileInput(path+".input", in, st)
	}
	for i, a := range st.Actions {
		apath := path + ".actions[" + strconv.Itoa(i) + "]"
		if a == nil {
			c.err(apath, "must be an object")
			continue
		}
		if ca := c.compileAction(apath, name, i, a); ca != nil {
			cs.actions = append(cs.actions, ca)
		}
	}
	for i, t := range st.Transitions {
		tpath := path + ".transitions[" + strconv.Itoa(i) + "]"
		if t == nil {
			c.err(tpath, "must be an object")
			continue
		}
		ct := &compiledTransition{to: t.To}
		c.target(tpath+".to", t.To, true)
		if t.If != "" {
			cond, err := compileCondition(t.If)
			if err != nil {
				c.err(tpath+".if", "%v", err)
			}
			ct.cond = cond
		}
		cs.transitions = append(cs.transitions, ct)
	}
	return cs
}

// target checks that name names a state; required says an empty name is an
// error too.
func (c *compiler) target(path, name string, required bool) {
	switch {
	case name == "" && required:
		c.err(path, "is required: name the next state")
	case name != "" && c.def.States[name] == nil:
		c.err(path, "names no state (%q)", name)
	}
}

func (c *compiler) compileInput(path string, in *Input, st *State) *compiledInput {
	ci := &compiledInput{saveTo: in.SaveTo}
	if in.SaveTo != "" {
		if !tools.ValidName(in.SaveTo) {
			c.err(path+".save_to", "must match ^[a-zA-Z0-9_-]{1,64}$")
		}
		c.sets[in.SaveTo] = true
	}
	if s, err := compileInputSchema(in.Schema); err != nil {
		var ce *schema.CompileError
		if errors.As(err, &ce) {
			c.err(inputSchemaPath(path+".schema", ce.Path), "%s", ce.Message)
		} else {
			c.err(path+".schema", "%v", err)
		}
	} else {
		ci.schema = s
	}
	retry := in.RetryMessage
	if retry == "" {
		retry = st.Message
	}
	ci.retry = c.template(path+".retry_message", retry, messageRoots)
	return ci
}

// template parses a message template whose placeholders may use roots. An
// empty source is nil.
func (c *compiler) template(path, src string, roots []string) *tools.Template {
	if src == "" {
		return nil
	}
	t, err := tools.ParseTemplateWith(src, parseOptions)
	if err != nil {
		c.err(path, "%s", templateReason(err))
		return nil
	}
	c.placeholders(path, t.Placeholders(), roots)
	return t
}

// placeholders checks that each placeholder uses one of roots and notes the
// variables used.
func (c *compiler) placeholders(path string, phs []tools.Placeholder, roots []string) {
	for _, ph := range phs {
		if !slices.Contains(roots, ph.Root) {
			c.err(path, "%s cannot be used here; use %s", ph.String(), rootList(roots))
			continue
		}
		if ph.Root == tools.RootVariables {
			c.uses = append(c.uses, variableUse{path: path, ph: ph})
		}
	}
}

func rootList(roots []string) string {
	parts := make([]string, len(roots))
	for i, r := range roots {
		parts[i] = "{{" + r + ".*}}"
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// templateReason is a parse error's message without its field prefix.
func templateReason(err error) string {
	var pe *tools.ParseError
	if errors.As(err, &pe) {
		field := pe.Field
		pe.Field = ""
		msg := pe.Error()
		pe.Field = field
		return msg
	}
	return err.Error()
}

func (c *compiler) compileAction(path, stateName string, index int, a *Action) *compiledAction {
	if a.Type != ActionAPICall {
		c.err(path+".type", "must be %q", ActionAPICall)
		return nil
	}
	ca := &compiledAction{index: index, fireAndForget: a.FireAndForget, success: a.SuccessTransition,
		failure: a.FailureTransition, on: a.On, tool: a.Tool}
	method := a.EffectiveMethod()
	if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, method) {
		c.err(path+".method", "must be GET, POST, PUT, PATCH or DELETE")
	}
	if a.TimeoutMS != 0 && (a.TimeoutMS < tools.TimeoutMSMin || a.TimeoutMS > tools.TimeoutMSMax) {
		c.err(path+".timeout_ms", "must be from %d to %d", tools.TimeoutMSMin, tools.TimeoutMSMax)
	}
	c.routing(path, a, ca)

	if a.Tool != "" {
		for _, f := range []fieldSet{{"integration", a.Integration != ""}, {"connection", a.Connection != ""},
			{"url", a.URL != ""}, {"path", a.Path != ""}, {"method", a.Method != ""}, {"headers", len(a.Headers) > 0},
			{"body", len(a.Body) > 0}} {
			if f.set {
				c.err(path+"."+f.name, "does not apply to a tool action: the tool %q defines its request", a.Tool)
			}
		}
		ca.args = c.argsTemplate(path+".args", a.Args)
		return ca
	}
	if len(a.Args) > 0 {
		c.err(path+".args", "applies only to a tool action")
	}
	switch {
	case a.Integration != "" && a.Connection != "" && a.Integration != a.Connection:
		c.err(path+".connection", "is a synonym of integration; give one of them")
	case a.URL != "" && a.ConnectionName() != "":
		c.err(path+".url", "give either url or integration + path, not both")
	case a.URL == "" && a.ConnectionName() == "":
		c.err(path+".integration", "is required: name a saved integration (or give url, or name a tool)")
	case a.URL != "" && a.Path != "":
		c.err(path+".path", "applies only with an integration; put the whole URL in url")
	}
	if a.Path != "" && a.ConnectionName() == "" && a.URL == "" {
		c.err(path+".path", "applies only with an integration")
	}
	if len(a.Body) > 0 && !hasBody(method) {
		c.warn(path+".body", "is ignored: %s requests send no body", method)
	}
	for _, name := range slices.Sorted(maps.Keys(a.Headers)) {
		for _, fe := range tools.ValidateHeader(path+".headers", name, a.Headers[name]) {
			c.err(fe.Path, "%s", fe.Message)
		}
	}
	if !c.requestPlaceholders(path, a) {
		return nil
	}
	def := &tools.Definition{
		Name:       "flow:" + c.info.FlowName,
		Method:     method,
		URL:        a.URL,
		Connection: a.ConnectionName(),
		Path:       a.Path,
		Headers:    a.Headers,
		TimeoutMS:  a.TimeoutMS,
		Response:   &tools.ResponseConfig{MaxBytes: ResponseMaxBytes},
	}
	if hasBody(method) {
		def.Body = injectedBody(a.Body)
	}
	prepared, err := tools.PrepareWith(c.info.FlowID, c.info.Version, def, requestParseOptions)
	if err != nil {
		var pe *tools.ParseError
		if errors.As(err, &pe) && pe.Field != "" {
			c.err(path+"."+pe.Field, "%s", templateReason(err))
		} else {
			c.err(path, "%v", err)
		}
		return nil
	}
	ca.request = prepared
	return ca
}

// fieldSet says whether a field of an action is given.
type fieldSet struct {
	name string
	set  bool
}

// routing checks save_to, fire_and_forget and the routes of an action.
func (c *compiler) routing(path string, a *Action, ca *compiledAction) {
	if a.FireAndForget {
		for _, f := range []fieldSet{{"save_to", a.SaveTo != ""}, {"success_transition", a.SuccessTransition != ""},
			{"failure_transition", a.FailureTransition != ""}, {"on", len(a.On) > 0}} {
			if f.set {
				c.err(path+"."+f.name, "does not apply with fire_and_forget, which waits for no answer; remove it (the state's own transitions still apply)")
			}
		}
	} else {
		ca.saveTo = a.EffectiveSaveTo()
		if !tools.ValidName(ca.saveTo) {
			c.err(path+".save_to", "must match ^[a-zA-Z0-9_-]{1,64}$")
		}
		c.sets[ca.saveTo] = true
		c.sets[VarAPIStatus] = true
		c.sets[VarAPIOK] = true
	}
	c.target(path+".success_transition", a.SuccessTransition, false)
	c.target(path+".failure_transition", a.FailureTransition, false)
	for _, key := range slices.Sorted(maps.Keys(a.On)) {
		kpath := path + ".on." + key
		if !validOnKey(key) {
			c.err(kpath, "must be an outcome (%s) or status:NNN", strings.Join(outcomeClasses, ", "))
		}
		c.target(kpath, a.On[key], true)
	}
}

// validOnKey reports whether key is an outcome class or status:NNN.
func validOnKey(key string) bool {
	if code, ok := strings.CutPrefix(key, "status:"); ok {
		n, err := strconv.Atoi(code)
		return err == nil && len(code) == 3 && n >= 100 && n <= 599
	}
	return slices.Contains(outcomeClasses, key)
}

// requestPlaceholders checks the templates of an integration or url action
// field by field and reports whether they all parse.
func (c *compiler) requestPlaceholders(path string, a *Action) bool {
	ok := true
	check := func(fpath, src string) {
		t, err := tools.ParseTemplateWith(src, requestParseOptions)
		if err != nil {
			c.err(fpath, "%s", templateReason(err))
			ok = false
			return
		}
		phs := t.Placeholders()
		c.placeholders(fpath, phs, requestRoots)
		for _, ph := range phs {
			if (ph.Root == tools.RootConn || ph.Root == tools.RootSecret) && a.ConnectionName() == "" {
				c.err(fpath, "%s needs an integration", ph.String())
			}
		}
	}
	if a.URL != "" {
		check(path+".url", a.URL)
	}
	if a.Path != "" {
		check(path+".path", a.Path)
	}
	for _, name := range slices.Sorted(maps.Keys(a.Headers)) {
		fpath := path + ".headers." + name
		check(fpath, a.Headers[name])
		if !tools.IsCredentialHeader(name) {
			continue
		}
		if t, err := tools.ParseTemplateWith(a.Headers[name], requestParseOptions); err == nil {
			for _, ph := range t.Placeholders() {
				if ph.Root == tools.RootVariables || ph.Root == tools.RootContext {
					c.err(fpath, "a credential header cannot come from %s; use {{secret.*}}", ph.String())
				}
			}
		}
	}
	if len(a.Body) > 0 {
		if err := jsonStrings(a.Body, path+".body", check); err != nil {
			c.err(path+".body", "is not valid JSON: %v", err)
			ok = false
		}
	}
	return ok
}

// argsTemplate compiles a tool action's arguments: a JSON object whose
// strings are templates over variables and context, rendered with the body
// rules of tools (a value that is exactly one placeholder keeps its type).
func (c *compiler) argsTemplate(path string, args RawObject) *tools.RequestTemplate {
	ok := true
	if len(args) > 0 {
		err := jsonStrings(args, path, func(fpath, src string) {
			t, err := tools.ParseTemplateWith(src, requestParseOptions)
			if err != nil {
				c.err(fpath, "%s", templateReason(err))
				ok = false
				return
			}
			c.placeholders(fpath, t.Placeholders(), messageRoots)
		})
		if err != nil {
			c.err(path, "is not valid JSON: %v", err)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	body := json.RawMessage(args)
	if len(body) == 0 {
		body = json.RawMessage(`{}`)
	}
	rt, err := tools.NewRequestTemplateWith(&tools.Definition{Method: http.MethodPost, URL: argsURL, Body: body}, requestParseOptions)
	if err != nil {
		// The field of the args template is a field of its body.
		var pe *tools.ParseError
		if errors.As(err, &pe) && strings.HasPrefix(pe.Field, "body") {
			c.err(path+strings.TrimPrefix(pe.Field, "body"), "%s", templateReason(err))
		} else {
			c.err(path, "%s", templateReason(err))
		}
		return nil
	}
	return rt
}

// argsURL is the URL of the request template that renders a tool action's
// arguments as its body; it is never sent.
const argsURL = "http://flow-args.invalid/"

// Keys of the auto-injected body, and the arguments of every API_CALL run:
// the user's latest message and all variables.
const (
	argMessage   = "message"
	argVariables = "variables"
)

// injectedBody returns the body template of a POST, PUT or PATCH: the
// auto-injected message and variables (taken from the call's arguments,
// keeping their JSON types), with the declared fields merged on top.
func injectedBody(declared RawObject) json.RawMessage {
	var fields map[string]json.RawMessage
	if len(declared) > 0 {
		_ = json.Unmarshal(declared, &fields) // checked by requestPlaceholders
	}
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for _, key := range []string{argMessage, argVariables} {
		if _, ok := fields[key]; ok {
			continue // the declared field wins
		}
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%q:"{{args.%s}}"`, key, key)
		n++
	}
	if len(fields) > 0 {
		var compact bytes.Buffer
		if err := json.Compact(&compact, declared); err == nil {
			inner := bytes.TrimSpace(compact.Bytes()[1 : compact.Len()-1])
			if len(inner) > 0 {
				if n > 0 {
					b.WriteByte(',')
				}
				b.Write(inner)
			}
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// jsonStrings calls fn with every string value of a JSON document (object
// keys excepted) and its path below prefix: body.customer.name,
// body.items[0].
func jsonStrings(raw []byte, prefix string, fn func(path, s string)) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case string:
			fn(path, v)
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				walk(path+"."+k, v[k])
			}
		case []any:
			for i, e := range v {
				walk(path+"["+strconv.Itoa(i)+"]", e)
			}
		}
	}
	walk(prefix, v)
	return nil
}

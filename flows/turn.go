package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// turn carries one turn of a session: the states it enters, the messages it
// shows, the runs it makes.
type turn struct {
	r    *Runner
	prog *Program
	row  *store.FlowSession

	vars      map[string]any
	callerCtx map[string]any
	// message is the user's latest message.
	message string
	state   string
	status  string
	reason  string

	messages []string
	runs     []string
	// steps are the history steps of this turn, appended to the stored
	// history by finish.
	steps []Step
	// entered are the states entered this turn, in order.
	entered []string
}

func (r *Runner) newTurn(prog *Program, row *store.FlowSession, vars, callerCtx map[string]any) *turn {
	return &turn{r: r, prog: prog, row: row, vars: vars, callerCtx: callerCtx,
		state: row.State, status: row.Status, reason: row.Reason, messages: []string{}, runs: []string{}}
}

func (t *turn) step(s Step) {
	s.At = t.r.now().UTC()
	if s.State == "" {
		s.State = t.state
	}
	s.Text = clipText(s.Text)
	t.steps = append(t.steps, s)
}

func (t *turn) note(format string, args ...any) {
	t.step(Step{Kind: StepNote, Note: fmt.Sprintf(format, args...)})
}

func (t *turn) fail(reason string) {
	t.status, t.reason = store.FlowSessionFailed, reason
	t.step(Step{Kind: StepFail, Note: reason})
}

// receive applies the user's message to the state that waits for it.
func (t *turn) receive(ctx context.Context, text string) error {
	t.message = text
	st := t.prog.states[t.state]
	t.step(Step{Kind: StepInput, Text: text})
	if st == nil {
		t.fail(fmt.Sprintf("the session is at state %q, which version %d of the flow does not have", t.state, t.prog.info.Version))
		return nil
	}
	if in := st.input; in != nil {
		value, ok, problem := in.accept(text)
		if !ok {
			t.note("the input does not match the schema: %s", problem)
			t.show(in.retry)
			t.status = store.FlowSessionWaitingInput
			return nil
		}
		if in.saveTo != "" {
			t.vars[in.saveTo] = value
		}
	}
	next := t.transition(st)
	if next == "" {
		t.waitStuck()
		return nil
	}
	return t.enter(ctx, next)
}

// enter enters next and the states that follow it, until one waits for
// input or the session ends or fails.
func (t *turn) enter(ctx context.Context, next string) error {
	for next != "" {
		if len(t.entered) == MaxStatesPerTurn {
			t.fail(loopReason(append(t.entered, next)))
			return nil
		}
		st := t.prog.states[next]
		if st == nil {
			t.fail(fmt.Sprintf("state %q does not exist in version %d of the flow", next, t.prog.info.Version))
			return nil
		}
		t.entered = append(t.entered, next)
		t.state = next
		t.step(Step{Kind: StepEnter})
		t.show(st.message)

		next = ""
		for _, a := range st.actions {
			target, err := t.call(ctx, st, a)
			if err != nil {
				return err
			}
			if target != "" {
				next = target
				break
			}
		}
		if next != "" {
			continue
		}
		switch {
		case st.end:
			t.status = store.FlowSessionEnded
			t.step(Step{Kind: StepEnd})
			return nil
		case st.input != nil:
			t.status = store.FlowSessionWaitingInput
			return nil
		}
		if next = t.transition(st); next == "" {
			t.waitStuck()
			return nil
		}
	}
	return nil
}

// waitStuck leaves the session waiting at a state none of whose
// transitions holds: the user's next message is tried against them again.
func (t *turn) waitStuck() {
	t.status = store.FlowSessionWaitingInput
	t.note("no transition holds; waiting for the user's next message")
}

// loopReason names the loop that made a turn enter too many states: the
// states from the first one entered twice to its second entry.
func loopReason(entered []string) string {
	cycle := entered
	first := map[string]int{}
	for k, name := range entered {
		if i, ok := first[name]; ok {
			cycle = entered[i : k+1]
			break
		}
		first[name] = k
	}
	return fmt.Sprintf("the flow entered more than %d states in one turn; it loops: %s",
		MaxStatesPerTurn, strings.Join(cycle, " -> "))
}

// transition returns the target of the first transition of st that holds,
// or "".
func (t *turn) transition(st *compiledState) string {
	for i, tr := range st.transitions {
		if tr.cond == nil {
			return tr.to
		}
		ok, err := tr.cond.holds(t.vars, t.message, t.callerCtx)
		if err != nil {
			t.note("transitions[%d].if (%s) could not be evaluated, so it does not hold: %v", i, tr.cond.src, err)
			continue
		}
		if ok {
			return tr.to
		}
	}
	return ""
}

// show renders a message and adds it to the turn's messages. A value that
// is missing is shown as nothing, and noted.
func (t *turn) show(tmpl *tools.Template) {
	if tmpl == nil {
		return
	}
	text, missing := renderText(tmpl, &tools.Scope{Variables: t.vars, Context: t.callerCtx})
	if len(missing) > 0 {
		t.note("no value for %s; shown as empty", strings.Join(missing, ", "))
	}
	t.messages = append(t.messages, text)
	t.step(Step{Kind: StepMessage, Text: text})
}

// renderText renders a template as plain text (no escaping: it is shown to a
// person), with missing values as empty text; it returns their names, each
// once.
func renderText(tmpl *tools.Template, scope *tools.Scope) (string, []string) {
	var missing []string
	text, err := tmpl.ExecuteLenient(scope, func(ph *tools.Placeholder) {
		if name := ph.String(); !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	})
	if err != nil {
		return "", append(missing, err.Error())
	}
	return text, missing
}

// call runs one action and returns the state its outcome routes to, or ""
// to go on with the state.
func (t *turn) call(ctx context.Context, st *compiledState, a *compiledAction) (string, error) {
	info := RunInfo{FlowID: t.prog.info.FlowID, FlowName: t.prog.info.FlowName, Version: t.prog.info.Version,
		State: st.name, SessionID: t.row.ID, Action: a.index}
	ac := &ActionCall{
		WorkspaceID: t.row.WorkspaceID, AgentID: t.row.AgentID, Run: info, Request: a.request, Tool: a.tool,
		Variables: t.vars, Context: t.runContext(info), Headers: t.headers(st.name), FireAndForget: a.fireAndForget,
	}
	if a.fireAndForget {
		ac.Variables = cloneMap(t.vars)
	}
	var err error
	if a.args != nil {
		ac.Arguments, err = t.renderArgs(a.args)
		if err != nil {
			// Nothing can be sent: the call fails as invalid arguments.
			t.step(Step{Kind: StepCall, Outcome: tools.OutcomeInvalidArguments, Note: "tool " + a.tool + ": " + err.Error()})
			if a.fireAndForget {
				return "", nil
			}
			t.saveResult(a, &ActionResult{Outcome: tools.OutcomeInvalidArguments, Body: json.RawMessage("null")})
			return a.route(tools.OutcomeInvalidArguments, 0), nil
		}
	} else {
		ac.Arguments, err = json.Marshal(map[string]any{
			argMessage:   map[string]any{"type": "text", "text": t.message},
			argVariables: t.vars,
		})
		if err != nil {
			return "", fmt.Errorf("encoding the arguments of %s.actions[%d]: %w", st.name, a.index, err)
		}
	}

	res, err := t.r.caller.Call(ctx, ac)
	if err == nil && res == nil {
		err = errors.New("the caller returned no result")
	}
	if a.fireAndForget {
		if err != nil {
			// Its failure never affects the flow; the console shows it.
			t.step(Step{Kind: StepCall, Note: "queueing the fire-and-forget call failed: " + err.Error()})
			t.r.log.Warn("queueing a fire-and-forget flow call failed", "flow", info.FlowName, "state", info.State,
				"session", info.SessionID, "error", err)
			return "", nil
		}
		t.runs = append(t.runs, res.RunID)
		t.step(Step{Kind: StepCall, RunID: res.RunID, Outcome: res.Outcome, Note: "fire and forget"})
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("calling %s.actions[%d]: %w", st.name, a.index, err)
	}
	if res.RunID != "" {
		t.runs = append(t.runs, res.RunID)
	}
	t.step(Step{Kind: StepCall, RunID: res.RunID, Outcome: res.Outcome, StatusCode: res.StatusCode})
	t.saveResult(a, res)
	return a.route(res.Outcome, res.StatusCode), nil
}

// saveResult saves the response at variables.<save_to>, and api_status and
// api_ok.
func (t *turn) saveResult(a *compiledAction, res *ActionResult) {
	var body any
	if len(res.Body) > 0 {
		v, err := decodeValue(res.Body)
		if err != nil {
			v = string(res.Body)
		}
		body = v
	}
	t.vars[a.saveTo] = body
	t.vars[VarAPIStatus] = int64(res.StatusCode)
	t.vars[VarAPIOK] = res.Outcome == tools.OutcomeSuccess
}

// route returns the state an outcome leads to: on's status:NNN, then on's
// outcome class, then success_transition or failure_transition; "" when
// none applies.
func (a *compiledAction) route(outcome string, statusCode int) string {
	if statusCode > 0 {
		if to := a.on["status:"+itoa(statusCode)]; to != "" {
			return to
		}
	}
	if to := a.on[outcome]; to != "" {
		return to
	}
	if outcome == tools.OutcomeSuccess {
		return a.success
	}
	return a.failure
}

// renderArgs renders a tool action's arguments with the body rules of
// tools.
func (t *turn) renderArgs(rt *tools.RequestTemplate) (json.RawMessage, error) {
	req, err := rt.Render("", &tools.Scope{Variables: t.vars, Context: t.callerCtx})
	if err != nil {
		return nil, err
	}
	return req.Body, nil
}

// runContext is the caller context of a run: the session's, its
// conversation defaulting to the session, plus the flow's run information.
func (t *turn) runContext(info RunInfo) map[string]any {
	c := make(map[string]any, len(t.callerCtx)+2)
	maps.Copy(c, t.callerCtx)
	if id, _ := c["conversation_id"].(string); id == "" {
		c["conversation_id"] = t.row.ID
	}
	c["flow"] = map[string]any{"id": info.FlowID, "name": info.FlowName, "version": info.Version,
		"state": info.State, "session_id": info.SessionID, "action": info.Action}
	return c
}

// headers are the identification headers of a call made in state.
func (t *turn) headers(state string) http.Header {
	return Headers(state, t.prog.info.FlowName, t.row.AgentID, t.callerCtx, t.vars)
}

// Headers are the identification headers of a flow's API_CALL made in
// state: X-Toolgate-State, -Flow-Name, -Agent-Id, -User-Id and -Channel
// (from the caller context, when known) and -User-Name (when
// variables.contact_name is set).
func Headers(state, flowName, agentID string, callerCtx, vars map[string]any) http.Header {
	h := http.Header{}
	h.Set(HeaderState, state)
	h.Set(HeaderFlowName, flowName)
	h.Set(tools.HeaderAgentID, agentID)
	if v, ok := callerCtx["user_id"].(string); ok && v != "" {
		h.Set(tools.HeaderUserID, v)
	}
	if v, ok := callerCtx["channel"].(string); ok && v != "" {
		h.Set(tools.HeaderChannel, v)
	}
	if name := contactName(vars[VarContactName]); name != "" {
		h.Set(HeaderUserName, name)
	}
	return h
}

// contactName is variables.contact_name as header text: a string, or a
// number as written.
func contactName(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64, float64:
		return fmt.Sprint(v)
	}
	return ""
}

// finish writes the turn's outcome into row, failing the session if its
// variables grew too large, and returns the turn's history steps.
func (t *turn) finish(row *store.FlowSession) ([]json.RawMessage, error) {
	vars, err := json.Marshal(t.vars)
	if err != nil {
		return nil, fmt.Errorf("encoding the session's variables: %w", err)
	}
	if len(vars) > VariablesMaxBytes && t.status != store.FlowSessionFailed {
		t.fail(fmt.Sprintf("the session's variables grew to %d bytes, more than the %d allowed", len(vars), VariablesMaxBytes))
	}
	callerCtx, err := json.Marshal(t.callerCtx)
	if err != nil {
		return nil, fmt.Errorf("encoding the session's context: %w", err)
	}
	steps, err := encodeSteps(t.steps)
	if err != nil {
		return nil, err
	}
	row.State, row.Status, row.Reason = t.state, t.status, t.reason
	row.Variables, row.Context = vars, callerCtx
	row.UpdatedAt = t.r.now().UTC()
	return steps, nil
}

// result is the turn as the API returns it.
func (t *turn) result() *Turn {
	return &Turn{SessionID: t.row.ID, Flow: t.prog.info.FlowName, Version: t.prog.info.Version, State: t.state,
		Status: t.status, Reason: t.reason, Messages: t.messages, Variables: t.vars, Runs: t.runs}
}

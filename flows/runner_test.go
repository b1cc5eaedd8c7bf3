package flows_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/redact"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// wantTurn compares the parts of a turn a test decides.
func wantTurn(t *testing.T, got *flows.Turn, state, status string, messages ...string) {
	t.Helper()
	if got.State != state || got.Status != status {
		t.Errorf("turn at state %q, status %q (reason %q); want %q, %q", got.State, got.Status, got.Reason, state, status)
	}
	if messages == nil {
		messages = []string{}
	}
	if diff := cmp.Diff(messages, got.Messages); diff != "" {
		t.Errorf("messages mismatch (-want +got):\n%s", diff)
	}
}

func decodeJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return v
}

func TestOrderFlowGETWithSaveToAndNestedAccess(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := newEnv(t, st)
		flow := e.publish("orders", ordersFlow)

		turn := e.start("orders", map[string]any{"contact_name": "Asha"}, "hi")
		wantTurn(t, turn, "ask_order", store.FlowSessionWaitingInput, "What is your order number?")
		if turn.Flow != "orders" || turn.Version != 1 || len(turn.Runs) != 0 {
			t.Errorf("first turn: flow %q version %d runs %v", turn.Flow, turn.Version, turn.Runs)
		}

		// An input that fails the schema repeats retry_message and waits.
		retry := e.send(turn.SessionID, "nope!")
		wantTurn(t, retry, "ask_order", store.FlowSessionWaitingInput, "Order numbers look like AB1234. What is yours?")

		got := e.send(turn.SessionID, "AB1234")
		wantTurn(t, got, "done", store.FlowSessionEnded,
			"Looking that up for you...",
			"Your order is in_transit, arriving 2026-06-01 to Dar es Salaam (SKU-1).",
			"Anything else?")
		if len(got.Runs) != 1 {
			t.Fatalf("runs %v, want one", got.Runs)
		}
		runID := got.Runs[0]

		// The upstream got a GET with no body and every identification
		// header, and the connection's credential.
		req := e.up.next(t)
		if req.Method != "GET" || req.Path != "/api/orders/AB1234" || len(req.Body) != 0 {
			t.Errorf("upstream got %s %s with body %q; want GET /api/orders/AB1234 without a body", req.Method, req.Path, req.Body)
		}
		for name, want := range map[string]string{
			"X-Toolgate-User-Id":   "+255700000001",
			"X-Toolgate-Agent-Id":  e.agent.ID,
			"X-Toolgate-Channel":   "whatsapp",
			"X-Toolgate-State":     "fetch_order",
			"X-Toolgate-Flow-Name": "orders",
			"X-Toolgate-User-Name": "Asha",
			"X-Toolgate-Run-Id":    runID,
			"Idempotency-Key":      runID,
			"Authorization":        "Bearer " + backendToken,
		} {
			if got := req.Header.Get(name); got != want {
				t.Errorf("header %s = %q, want %q", name, got, want)
			}
		}

		// The response is saved under save_to, with api_status and api_ok.
		order, _ := got.Variables["order"].(map[string]any)
		if order["carrier"] != "DHL" || got.Variables["api_status"] != int64(200) || got.Variables["api_ok"] != true ||
			got.Variables["order_id"] != "AB1234" {
			t.Errorf("variables after the call: %v", got.Variables)
		}

		// The call is an ordinary run carrying the flow's name, version,
		// state and session.
		run := e.run(runID)
		if run.ToolName != "flow:orders" || run.ToolID != flow.ID || run.ToolVersion != 1 || run.AgentID != e.agent.ID ||
			run.Outcome != tools.OutcomeSuccess || run.ConversationID != turn.SessionID {
			t.Errorf("run: tool %q (%s) v%d agent %s outcome %s conversation %s", run.ToolName, run.ToolID, run.ToolVersion,
				run.AgentID, run.Outcome, run.ConversationID)
		}
		runCtx := decodeJSON(t, run.Context)
		wantFlow := map[string]any{"id": flow.ID, "name": "orders", "version": float64(1), "state": "fetch_order",
			"session_id": turn.SessionID, "action": float64(0)}
		if diff := cmp.Diff(wantFlow, runCtx["flow"]); diff != "" {
			t.Errorf("run context flow mismatch (-want +got):\n%s", diff)
		}
		if strings.Contains(string(run.Request), backendToken) {
			t.Errorf("the run's request holds the connection's token: %s", run.Request)
		}

		// The session's history has each state, message, input and run.
		sess, err := e.runner.Session(t.Context(), e.ws.ID, e.agent.ID, turn.SessionID)
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		var kinds []string
		for _, s := range sess.History {
			kinds = append(kinds, s.Kind+":"+s.State)
		}
		wantKinds := []string{
			"input:ask_order", "enter:ask_order", "message:ask_order",
			"input:ask_order", "note:ask_order", "message:ask_order",
			"input:ask_order", "enter:fetch_order", "message:fetch_order", "call:fetch_order",
			"enter:show_status", "message:show_status", "enter:done", "message:done", "end:done",
		}
		if diff := cmp.Diff(wantKinds, kinds); diff != "" {
			t.Errorf("history mismatch (-want +got):\n%s", diff)
		}
		if call := sess.History[9]; call.RunID != runID || call.StatusCode != 200 || call.Outcome != tools.OutcomeSuccess {
			t.Errorf("history call step: %+v", call)
		}
		if sess.Status != store.FlowSessionEnded || sess.Context["user_id"] != "+255700000001" {
			t.Errorf("session: %+v", sess)
		}

		// An ended session takes no more messages.
		_, err = e.runner.Send(t.Context(), e.ws.ID, e.agent.ID, turn.SessionID, "hello?")
		if !errors.Is(err, flows.ErrSessionClosed) {
			t.Errorf("Send to an ended session: got %v, want ErrSessionClosed", err)
		}
	})
}

func TestOrderFlowConditionAnd404ToFailureTransition(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := newEnv(t, st)
		e.publish("orders", ordersFlow)

		// A delayed order takes the transition whose condition holds.
		turn := e.start("orders", nil, "")
		got := e.send(turn.SessionID, "DL0001")
		wantTurn(t, got, "done", store.FlowSessionEnded,
			"Looking that up for you...",
			"Your order is delayed, arriving 2026-07-01 to  ().",
			"Sorry for the delay. We will call you back.",
			"Anything else?")
		e.up.next(t)

		// A 404 routes to failure_transition, whose state leads back to
		// the question; the 404's body is saved too.
		turn = e.start("orders", nil, "")
		got = e.send(turn.SessionID, "ZZ9999")
		wantTurn(t, got, "ask_order", store.FlowSessionWaitingInput,
			"Looking that up for you...", "I could not find that order (404).", "What is your order number?")
		if got.Variables["api_ok"] != false || got.Variables["api_status"] != int64(404) {
			t.Errorf("variables after a 404: %v", got.Variables)
		}
		if diff := cmp.Diff(map[string]any{"error": "no such order"}, got.Variables["order"]); diff != "" {
			t.Errorf("saved 404 body mismatch (-want +got):\n%s", diff)
		}
		if run := e.run(got.Runs[0]); run.Outcome != tools.OutcomeClientError || run.StatusCode != 404 {
			t.Errorf("run of the 404: outcome %s status %d", run.Outcome, run.StatusCode)
		}
		e.up.next(t)

		// A credential the upstream echoes is redacted before it is saved.
		turn = e.start("orders", nil, "")
		got = e.send(turn.SessionID, "ECHO01")
		order, _ := got.Variables["order"].(map[string]any)
		if eta, _ := order["eta"].(string); strings.Contains(eta, backendToken) || !strings.Contains(eta, redact.Placeholder) {
			t.Errorf("an echoed credential was saved as %q", eta)
		}
	})
}

func TestSupportFlowPOSTWithInjectedBodyAndFireAndForget(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := newEnv(t, st)
		e.publish("support", supportFlow)

		turn := e.start("support", map[string]any{"contact_name": "Asha"}, "help")
		wantTurn(t, turn, "ask_issue", store.FlowSessionWaitingInput, "Hi Asha! What kind of issue? (billing or delivery)")
		wantTurn(t, e.send(turn.SessionID, "delivery"), "ask_description", store.FlowSessionWaitingInput,
			"Describe the problem in a few words.")
		got := e.send(turn.SessionID, "Parcel arrived damaged")
		wantTurn(t, got, "ticket_created", store.FlowSessionEnded,
			"Creating your ticket...", "Your reference number is REF-2026-77.")

		// The POST body is the auto-injected message and variables with the
		// declared fields merged on top.
		req := e.up.next(t)
		if req.Method != "POST" || req.Path != "/api/tickets" || req.Header.Get("Content-Type") != "application/json" {
			t.Errorf("upstream got %s %s (%s)", req.Method, req.Path, req.Header.Get("Content-Type"))
		}
		want := map[string]any{
			"message": map[string]any{"type": "text", "text": "Parcel arrived damaged"},
			"variables": map[string]any{"contact_name": "Asha", "issue_type": "delivery",
				"description": "Parcel arrived damaged"},
			"issue_type":  "delivery",
			"description": "Parcel arrived damaged",
			"priority":    "normal",
		}
		if diff := cmp.Diff(want, decodeJSON(t, req.Body)); diff != "" {
			t.Errorf("POST body mismatch (-want +got):\n%s", diff)
		}
		if ticket, _ := got.Variables["ticket"].(map[string]any); ticket["id"] != "T-77" || got.Variables["api_status"] != int64(201) {
			t.Errorf("variables after the POST: %v", got.Variables)
		}

		// The analytics event was queued without waiting and reaches the
		// upstream; it is a run of this turn.
		if len(got.Runs) != 2 {
			t.Fatalf("runs %v, want the ticket's and the event's", got.Runs)
		}
		var event received
		select {
		case event = <-e.up.events:
		case <-t.Context().Done():
			t.Fatal("the fire-and-forget event never reached the upstream")
		}
		body := decodeJSON(t, event.Body)
		if body["event"] != "flow_completed" || body["flow"] != "onboarding" || event.Header.Get("X-Toolgate-Run-Id") != got.Runs[1] {
			t.Errorf("event: body %v, run id header %q (want %s)", body, event.Header.Get("X-Toolgate-Run-Id"), got.Runs[1])
		}
		if _, ok := got.Variables["response"]; ok {
			t.Errorf("the fire-and-forget call saved a response: %v", got.Variables)
		}
	})
}

func TestAccountFlowPATCHAndDELETE(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := newEnv(t, st)
		e.publish("account", accountFlow)

		turn := e.start("account", map[string]any{"user_id": "u 42/x", "subscription_id": "sub-9", "tenant_id": "t-1"}, "")
		wantTurn(t, turn, "ask_notifications", store.FlowSessionWaitingInput, "Notifications on or off?")
		wantTurn(t, e.send(turn.SessionID, "maybe"), "ask_notifications", store.FlowSessionWaitingInput, "Please answer on or off.")
		got := e.send(turn.SessionID, "off")
		wantTurn(t, got, "cancellation_confirmed", store.FlowSessionEnded,
			"Saved. Cancelling your subscription...", "Your subscription is cancelled (204).")

		patch := e.up.next(t)
		if patch.Method != "PATCH" || patch.Path != "/api/users/u%2042%2Fx/preferences" || patch.Header.Get("X-Tenant") != "t-1" {
			t.Errorf("upstream got %s %s X-Tenant %q", patch.Method, patch.Path, patch.Header.Get("X-Tenant"))
		}
		body := decodeJSON(t, patch.Body)
		if body["notifications"] != "off" || body["message"].(map[string]any)["text"] != "off" {
			t.Errorf("PATCH body: %v", body)
		}

		del := e.up.next(t)
		if del.Method != "DELETE" || del.Path != "/api/subscriptions/sub-9" || len(del.Body) != 0 || del.Header.Get("Content-Type") != "" {
			t.Errorf("upstream got %s %s with body %q (%s); want DELETE without a body", del.Method, del.Path, del.Body,
				del.Header.Get("Content-Type"))
		}
		if got.Variables["response"] != nil || got.Variables["api_status"] != int64(204) {
			t.Errorf("variables after the DELETE: %v", got.Variables)
		}
	})
}

func TestOnRoutingByStatusAndClass(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := newEnv(t, st)
		e.publish("routing", routingFlow)
		tests := []struct {
			code, state, message, outcome string
		}{
			{"200", "ok", "ok 200", tools.OutcomeSuccess},
			{"404", "not_found", "not found", tools.OutcomeClientError},               // status wins over the class
			{"410", "client_problem", "client problem 410", tools.OutcomeClientError}, // the class wins over failure
			{"503", "failed", "failed 503", tools.OutcomeServerError},                 // nothing in on: failure
			{"hang", "too_slow", "too slow 0", tools.OutcomeTimeout},                  // no response: api_status 0
		}
		for _, tt := range tests {
			got := e.start("routing", map[string]any{"code": tt.code}, "")
			wantTurn(t, got, tt.state, store.FlowSessionEnded, tt.message)
			if run := e.run(got.Runs[0]); run.Outcome != tt.outcome {
				t.Errorf("code %s: run outcome %s, want %s", tt.code, run.Outcome, tt.outcome)
			}
			e.up.next(t)
		}
	})
}

func TestLoopFailsTheSessionNamingTheLoop(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := newEnv(t, st)
		e.publish("loop", loopFlow)
		got := e.start("loop", nil, "")
		wantTurn(t, got, "ping", store.FlowSessionFailed, "Hello")
		want := "the flow entered more than 50 states in one turn; it loops: ping -> pong -> ping"
		if got.Reason != want {
			t.Errorf("reason %q, want %q", got.Reason, want)
		}
		sess, err := e.runner.Session(t.Context(), e.ws.ID, e.agent.ID, got.SessionID)
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		last := sess.History[len(sess.History)-1]
		if sess.Status != store.FlowSessionFailed || sess.Reason != want || last.Kind != flows.StepFail || last.Note != want {
			t.Errorf("stored session: status %s reason %q last step %+v", sess.Status, sess.Reason, last)
		}
		// A variable set at the start lets the same flow finish.
		if got := e.start("loop", map[string]any{"stop": true}, ""); got.Status != store.FlowSessionEnded {
			t.Errorf("with stop: status %s (%s)", got.Status, got.Reason)
		}
	})
}

func TestMenuConditionsOverMessageVariablesAndContext(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := newEnv(t, st)
		e.publish("menu", menuFlow)
		tests := []struct {
			vars     map[string]any
			inputs   []string
			state    string
			messages []string
		}{
			{nil, []string{"1"}, "orders", []string{"Orders it is."}},
			{nil, []string{"2"}, "support", []string{"Support it is."}},
			{map[string]any{"vip": true, "contact_name": "Asha"}, []string{"2"}, "vip_support", []string{"Right away, Asha."}},
			// No condition holds: the session stays, and the next message
			// is tried again.
			{nil, []string{"3", "1"}, "orders", []string{"Orders it is."}},
		}
		for _, tt := range tests {
			turn := e.start("menu", tt.vars, "")
			var got *flows.Turn
			for _, in := range tt.inputs {
				got = e.send(turn.SessionID, in)
			}
			wantTurn(t, got, tt.state, store.FlowSessionEnded, tt.messages...)
		}
		turn := e.start("menu", nil, "")
		wantTurn(t, e.send(turn.SessionID, "9"), "menu", store.FlowSessionWaitingInput)
	})
}

// TestOptionalContextHeaderAndBodyField sends a header and a body field
// written {{context.tenant?}} when the caller context has a tenant, and
// leaves them out when it has none.
func TestOptionalContextHeaderAndBodyField(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := newEnv(t, st)
		e.publish("tenanted", `{"start": "fetch", "states": {
			"fetch": {"actions": [
				{"type": "API_CALL", "integration": "my_backend", "path": "/orders/AB1234", "headers": {"X-Tenant": "{{context.tenant?}}"}},
				{"type": "API_CALL", "integration": "my_backend", "path": "/tickets", "method": "POST",
				 "body": {"tenant": "{{context.tenant?}}", "priority": "normal"}, "save_to": "ticket"}],
				"message": "Done.", "end": true}}}`)
		tests := []struct {
			name       string
			tenant     any // nil: no tenant in the context
			wantHeader []string
			wantBody   map[string]any
		}{
			{"tenant set", "acme-eu", []string{"acme-eu"}, map[string]any{"tenant": "acme-eu", "priority": "normal"}},
			{"tenant absent", nil, nil, map[string]any{"priority": "normal"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				callerCtx := map[string]any{"user_id": "+255700000001"}
				if tt.tenant != nil {
					callerCtx["tenant"] = tt.tenant
				}
				turn, err := e.runner.Start(t.Context(), flows.StartParams{WorkspaceID: e.ws.ID, AgentID: e.agent.ID,
					Flow: "tenanted", Context: callerCtx})
				if err != nil {
					t.Fatalf("Start: %v", err)
				}
				wantTurn(t, turn, "fetch", store.FlowSessionEnded, "Done.")
				get := e.up.next(t)
				if get.Method != "GET" || get.Path != "/api/orders/AB1234" {
					t.Fatalf("first request %s %s, want GET /api/orders/AB1234", get.Method, get.Path)
				}
				if diff := cmp.Diff(tt.wantHeader, get.Header.Values("X-Tenant")); diff != "" {
					t.Errorf("X-Tenant header mismatch (-want +got):\n%s", diff)
				}
				post := e.up.next(t)
				if post.Method != "POST" || post.Path != "/api/tickets" {
					t.Fatalf("second request %s %s, want POST /api/tickets", post.Method, post.Path)
				}
				body := decodeJSON(t, post.Body)
				delete(body, "message")
				delete(body, "variables")
				if diff := cmp.Diff(tt.wantBody, body); diff != "" {
					t.Errorf("body mismatch (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestToolAction(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := newEnv(t, st)
		ctx := t.Context()
		tool := &store.Tool{ID: store.NewID(), WorkspaceID: e.ws.ID, Name: "get_order", CreatedAt: time.Now(), UpdatedAt: time.Now(),
			Definition: json.RawMessage(`{"name": "get_order", "description": "Looks up an order by its number for the user.",
				"connection": "my_backend", "path": "/orders/{{args.order_id}}",
				"input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}`)}
		if err := st.ToolInsert(ctx, tool); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ToolPublish(ctx, e.ws.ID, tool.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		e.publish("lookup", toolFlow)

		turn := e.start("lookup", nil, "")
		got := e.send(turn.SessionID, "AB1234")
		wantTurn(t, got, "show", store.FlowSessionEnded, "It is in_transit.")
		req := e.up.next(t)
		if req.Path != "/api/orders/AB1234" || req.Header.Get("X-Toolgate-State") != "fetch" || req.Header.Get("X-Toolgate-Tool") != "get_order" {
			t.Errorf("upstream got %s with state %q tool %q", req.Path, req.Header.Get("X-Toolgate-State"), req.Header.Get("X-Toolgate-Tool"))
		}
		if run := e.run(got.Runs[0]); run.ToolName != "get_order" || string(run.Arguments) != `{"order_id":"AB1234"}` {
			t.Errorf("run: tool %s arguments %s", run.ToolName, run.Arguments)
		}
	})
}

func TestSessionsAndVersions(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := newEnv(t, st)
		ctx := t.Context()

		// A flow that was never published does not start.
		draft := &store.Flow{ID: store.NewID(), WorkspaceID: e.ws.ID, AgentID: e.agent.ID, Name: "draft",
			Definition: json.RawMessage(menuFlow), CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.FlowInsert(ctx, draft); err != nil {
			t.Fatal(err)
		}
		params := flows.StartParams{WorkspaceID: e.ws.ID, AgentID: e.agent.ID, Flow: "draft",
			Context: map[string]any{"user_id": "u-1"}}
		if _, err := e.runner.Start(ctx, params); !errors.Is(err, flows.ErrNotPublished) {
			t.Errorf("Start(unpublished): got %v, want ErrNotPublished", err)
		}
		params.Flow = "nope"
		if _, err := e.runner.Start(ctx, params); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Start(missing flow): got %v, want ErrNotFound", err)
		}
		params.Flow, params.Context = "draft", nil
		var re *flows.RequestError
		if _, err := e.runner.Start(ctx, params); !errors.As(err, &re) || re.Field != "context.user_id" {
			t.Errorf("Start(no user_id): got %v, want a RequestError on context.user_id", err)
		}

		// A session keeps the version it started on.
		f := e.publish("menu", menuFlow)
		old := e.start("menu", nil, "")
		edited := strings.Replace(menuFlow, "Orders it is.", "Orders, version two.", 1)
		f.Definition, f.UpdatedAt = json.RawMessage(edited), time.Now()
		if err := st.FlowUpdate(ctx, f); err != nil {
			t.Fatal(err)
		}
		if _, err := st.FlowPublish(ctx, e.ws.ID, e.agent.ID, f.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		newer := e.start("menu", nil, "")
		if newer.Version != 2 || old.Version != 1 {
			t.Errorf("versions: old session %d, new session %d; want 1 and 2", old.Version, newer.Version)
		}
		wantTurn(t, e.send(old.SessionID, "1"), "orders", store.FlowSessionEnded, "Orders it is.")
		wantTurn(t, e.send(newer.SessionID, "1"), "orders", store.FlowSessionEnded, "Orders, version two.")

		// Another agent's key does not see the session.
		open := e.start("menu", nil, "")
		other := &store.Agent{ID: store.NewID(), WorkspaceID: e.ws.ID, Name: "other", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.AgentInsert(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, err := e.runner.Send(ctx, e.ws.ID, other.ID, open.SessionID, "1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Send by another agent: got %v, want ErrNotFound", err)
		}
		if _, err := e.runner.Session(ctx, e.ws.ID, other.ID, open.SessionID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Session by another agent: got %v, want ErrNotFound", err)
		}
		if _, err := e.runner.Send(ctx, store.NewID(), e.agent.ID, open.SessionID, "1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Send in another workspace: got %v, want ErrNotFound", err)
		}

		// Deleting the flow ends its open sessions, saying why.
		if _, err := st.FlowDelete(ctx, e.ws.ID, e.agent.ID, f.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.runner.Send(ctx, e.ws.ID, e.agent.ID, open.SessionID, "1"); !errors.Is(err, flows.ErrSessionClosed) {
			t.Errorf("Send after the flow was deleted: got %v, want ErrSessionClosed", err)
		}
		sess, err := e.runner.Session(ctx, e.ws.ID, e.agent.ID, open.SessionID)
		if err != nil || sess.Status != store.FlowSessionEnded || sess.Reason != store.FlowDeletedReason {
			t.Errorf("session after the flow was deleted: %+v, %v", sess, err)
		}
		if _, err := e.runner.Send(ctx, e.ws.ID, e.agent.ID, strings.Repeat("x", 10), strings.Repeat("x", flows.MessageMaxBytes+1)); !errors.As(err, &re) {
			t.Errorf("Send(too long): got %v, want a RequestError", err)
		}
	})
}

// TestConcurrentMessagesApplyOneAfterTheOther sends many messages to one
// session at once through two runners (two replicas on PostgreSQL): every
// turn is applied, each on the variables the one before it left.
func TestConcurrentMessagesApplyOneAfterTheOther(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store, open func() store.Store) {
		e := newEnv(t, st)
		e.publish("counter", counterFlow)
		runners := []*flows.Runner{e.runner, e.newRunner(open())}
		turn := e.start("counter", map[string]any{"counter": map[string]any{"value": 0}}, "")

		const messages = 12
		var wg sync.WaitGroup
		for i := range messages {
			wg.Go(func() {
				r := runners[i%len(runners)]
				if _, err := r.Send(t.Context(), e.ws.ID, e.agent.ID, turn.SessionID, fmt.Sprint("m", i)); err != nil {
					t.Errorf("Send(m%d): %v", i, err)
				}
			})
		}
		wg.Wait()

		// The upstream saw each count once, in order: no turn read the
		// variables of another that had not finished.
		var seen []int
		for range messages {
			req := e.up.next(t)
			var body struct {
				Variables struct {
					Counter struct{ Value int } `json:"counter"`
				} `json:"variables"`
			}
			if err := json.Unmarshal(req.Body, &body); err != nil {
				t.Fatal(err)
			}
			seen = append(seen, body.Variables.Counter.Value)
		}
		want := make([]int, messages)
		for i := range want {
			want[i] = i
		}
		if diff := cmp.Diff(want, seen); diff != "" {
			t.Errorf("counts seen by the upstream mismatch (-want +got):\n%s", diff)
		}
		sess, err := e.runner.Session(t.Context(), e.ws.ID, e.agent.ID, turn.SessionID)
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		counter, _ := sess.Variables["counter"].(map[string]any)
		var inputs []string
		for _, s := range sess.History {
			if s.Kind == flows.StepInput {
				inputs = append(inputs, s.Text)
			}
		}
		if counter["value"] != int64(messages) || len(inputs) != messages {
			t.Errorf("final counter %v after %d inputs; want %d and %d", counter["value"], len(inputs), messages, messages)
		}
		slices.Sort(inputs)
		if len(slices.Compact(inputs)) != messages {
			t.Errorf("inputs lost or repeated: %v", inputs)
		}
	})
}

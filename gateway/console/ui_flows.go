package console

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/store"
)

// uiFlowPages are the templates of an agent's conversation flows: the list,
// one flow, one session. They join uiTemplates here so that the flow pages
// live in their own files.
var uiFlowPages = []string{"flows", "flow", "flow_session"}

func init() {
	for _, name := range uiFlowPages {
		t := template.New(name).Funcs(uiFuncs)
		uiTemplates[name] = template.Must(t.ParseFS(uiTemplateFS, "ui/templates/layout.tmpl", "ui/templates/partials.tmpl",
			"ui/templates/flow_partials.tmpl", "ui/templates/"+name+".tmpl"))
	}
}

// uiFlowExample prefills the new-flow form.
const uiFlowExample = `{
  "start": "ask_order",
  "states": {
    "ask_order": {
      "message": "What is your order number?",
      "input": {"save_to": "order_id", "schema": {"type": "string", "pattern": "^[A-Z0-9]{4,12}$"},
                "retry_message": "Order numbers look like AB1234. What is yours?"},
      "transitions": [{"to": "fetch_order"}]
    },
    "fetch_order": {
      "message": "Looking that up for you...",
      "actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/orders/{{variables.order_id}}",
                   "save_to": "order", "success_transition": "show_status", "failure_transition": "order_error"}]
    },
    "show_status": {"message": "Your order is {{variables.order.status}}.", "end": true},
    "order_error": {"message": "I could not find that order.", "transitions": [{"to": "ask_order"}]}
  }
}`

// uiFlowSessionsShown is how many recent sessions the flow pages list.
const uiFlowSessionsShown = 50

// uiFlowsData is an agent's flows page.
type uiFlowsData struct {
	Agent    admin.Agent
	Flows    []admin.Flow
	Total    int
	Sessions []admin.FlowSessionSummary
	Example  string
}

func (u *Console) uiFlows(c *gin.Context) error {
	ctx, ws := c.Request.Context(), httpapi.Who(c).WorkspaceID
	agent, err := u.Admin.Agents.Get(ctx, ws, c.Param("id"))
	if err != nil {
		return err
	}
	data := uiFlowsData{Agent: *agent, Example: uiFlowExample}
	lp := everything
	for range 20 {
		p, err := u.Admin.Flows.List(ctx, ws, agent.ID, lp)
		if err != nil {
			return err
		}
		data.Flows, data.Total = append(data.Flows, p.Items...), p.Total
		if p.Next == "" {
			break
		}
		lp.Cursor = p.Next
	}
	slices.SortFunc(data.Flows, func(a, b admin.Flow) int { return strings.Compare(a.Name, b.Name) })
	sessions, err := u.Admin.Flows.Sessions(ctx, ws, store.FlowSessionListParams{ListParams: store.ListParams{Limit: uiFlowSessionsShown}, AgentID: agent.ID})
	if err != nil {
		return err
	}
	data.Sessions = sessions.Items
	u.uiRender(c, http.StatusOK, "flows", uiPage{Title: "Flows of " + agent.Name, Nav: "agents", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// uiCreateFlow creates a draft flow of the agent.
func (u *Console) uiCreateFlow(c *gin.Context) error {
	in := admin.FlowInput{Name: uiFormValue(c, "name"), Type: store.FlowTypeConversation}
	if def := uiFormValue(c, "definition"); def != "" {
		in.Flow = json.RawMessage(def)
	}
	f, err := u.Admin.Flows.Create(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id"), &in)
	if err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, flowURL(f.AgentID, f.ID))
	return nil
}

// flowURL is the console page of a flow.
func flowURL(agentID, flowID string) string {
	return "/ui/agents/" + url.PathEscape(agentID) + "/flows/" + url.PathEscape(flowID)
}

// uiFlowVersion is a published version with its definition shown.
type uiFlowVersion struct {
	admin.FlowVersion
	Definition string
}

// uiFlowData is a flow's page.
type uiFlowData struct {
	Agent      admin.Agent
	Flow       admin.Flow
	Definition string
	Report     *flows.Report
	Versions   []uiFlowVersion
	Sessions   []admin.FlowSessionSummary
	Published  string
	Saved      bool
}

func (u *Console) uiFlow(c *gin.Context) error {
	ctx, ws := c.Request.Context(), httpapi.Who(c).WorkspaceID
	agent, err := u.Admin.Agents.Get(ctx, ws, c.Param("id"))
	if err != nil {
		return err
	}
	f, err := u.Admin.Flows.Get(ctx, ws, agent.ID, c.Param("flow_id"))
	if err != nil {
		return err
	}
	report, err := u.Admin.Flows.Validate(ctx, ws, agent.ID, f.ID)
	if err != nil {
		return err
	}
	versions, err := u.Admin.Flows.Versions(ctx, ws, agent.ID, f.ID)
	if err != nil {
		return err
	}
	sessions, err := u.Admin.Flows.Sessions(ctx, ws, store.FlowSessionListParams{ListParams: store.ListParams{Limit: uiFlowSessionsShown},
		AgentID: agent.ID, FlowID: f.ID})
	if err != nil {
		return err
	}
	data := uiFlowData{Agent: *agent, Flow: *f, Definition: prettyJSON(f.Flow), Report: report, Sessions: sessions.Items,
		Published: c.Query("published"), Saved: c.Query("saved") != ""}
	for _, v := range slices.Backward(versions) {
		data.Versions = append(data.Versions, uiFlowVersion{FlowVersion: v, Definition: prettyJSON(v.Flow)})
	}
	u.uiRender(c, http.StatusOK, "flow", uiPage{Title: "Flow " + f.Name, Nav: "agents", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// uiUpdateFlow saves the edited draft: its name and definition.
func (u *Console) uiUpdateFlow(c *gin.Context) error {
	name := uiFormValue(c, "name")
	in := admin.FlowPatch{Name: &name, Flow: json.RawMessage(uiFormValue(c, "definition"))}
	if len(in.Flow) == 0 {
		in.Flow = json.RawMessage(`{}`)
	}
	f, err := u.Admin.Flows.Patch(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id"), c.Param("flow_id"), &in)
	if err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, flowURL(f.AgentID, f.ID)+"?saved=1")
	return nil
}

// uiPublishFlow publishes the flow's draft.
func (u *Console) uiPublishFlow(c *gin.Context) error {
	agentID := c.Param("id")
	v, err := u.Admin.Flows.Publish(c.Request.Context(), httpapi.Who(c).WorkspaceID, agentID, c.Param("flow_id"))
	if err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, flowURL(agentID, v.ID)+"?published="+strconv.Itoa(v.Version))
	return nil
}

// uiDeleteFlow deletes the flow; its open sessions end.
func (u *Console) uiDeleteFlow(c *gin.Context) error {
	agentID := c.Param("id")
	if err := u.Admin.Flows.Delete(c.Request.Context(), httpapi.Who(c).WorkspaceID, agentID, c.Param("flow_id")); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/agents/"+url.PathEscape(agentID)+"/flows")
	return nil
}

// uiFlowSessionData is a session's page: where it went, what was said, and
// the runs it made.
type uiFlowSessionData struct {
	Session   *flows.Session
	AgentName string
	// FlowExists links the flow's page (a deleted flow's sessions stay).
	FlowExists bool
	// Path is the states the shown history entered, in order.
	Path           []string
	Variables      string
	Context        string
	ConversationID string
	// Earlier counts the steps before the shown history.
	Earlier int64
}

func (u *Console) uiFlowSession(c *gin.Context) error {
	ctx, ws := c.Request.Context(), httpapi.Who(c).WorkspaceID
	s, err := u.Admin.Flows.Session(ctx, ws, c.Param("id"))
	if err != nil {
		return err
	}
	data := uiFlowSessionData{Session: s, Earlier: s.HistorySteps - int64(len(s.History))}
	if a, err := u.Admin.Agents.Get(ctx, ws, s.AgentID); err == nil {
		data.AgentName = a.Name
		_, err := u.Admin.Flows.Get(ctx, ws, s.AgentID, s.FlowID)
		data.FlowExists = err == nil
	}
	for _, st := range s.History {
		if st.Kind == flows.StepEnter {
			data.Path = append(data.Path, st.State)
		}
	}
	vars, _ := json.Marshal(s.Variables)
	callerCtx, _ := json.Marshal(s.Context)
	data.Variables, data.Context = prettyJSON(vars), prettyJSON(callerCtx)
	data.ConversationID, _ = s.Context["conversation_id"].(string)
	if data.ConversationID == "" {
		data.ConversationID = s.SessionID
	}
	u.uiRender(c, http.StatusOK, "flow_session", uiPage{Title: "Session of " + s.Flow, Nav: "agents", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// flowRunOf reads which flow session made a run, from the flow information
// the runtime puts in its context; call reports a flow's own API call (its
// tool is the flow), as against a published tool a flow called.
func flowRunOf(r *store.Run) (sessionID string, call bool) {
	var ctx struct {
		Flow *struct {
			ID        string `json:"id"`
			SessionID string `json:"session_id"`
		} `json:"flow"`
	}
	if json.Unmarshal(r.Context, &ctx) != nil || ctx.Flow == nil {
		return "", false
	}
	return ctx.Flow.SessionID, ctx.Flow.SessionID != "" && ctx.Flow.ID == r.ToolID
}

package console

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
)

// uiToolChoice is one tool of the workspace on an agent's form: whether it
// is activated and its pin (0: the latest published version).
type uiToolChoice struct {
	Name, ToolID, Status string
	Activated            bool
	Pinned               int
	Versions             []int
}

// uiAdapterRow is one voice-platform secret of an agent: whether it is set,
// never its value.
type uiAdapterRow struct {
	Platform, Field string
	Set             bool
}

// adapterRows lists an agent's voice-platform secrets in a stable order.
func adapterRows(a *admin.Agent) []uiAdapterRow {
	var rows []uiAdapterRow
	for _, p := range slices.Sorted(maps.Keys(a.Adapters)) {
		for _, f := range slices.Sorted(maps.Keys(a.Adapters[p])) {
			rows = append(rows, uiAdapterRow{Platform: p, Field: f, Set: a.Adapters[p][f].Set})
		}
	}
	return rows
}

// toolChoices lists the workspace's tools for an agent's form.
func (u *Console) toolChoices(c *gin.Context, activated []store.AgentTool) ([]uiToolChoice, error) {
	ts, err := u.Admin.Tools.List(c.Request.Context(), httpapi.Who(c).WorkspaceID, everything)
	if err != nil {
		return nil, err
	}
	var out []uiToolChoice
	for _, t := range ts.Items {
		ch := uiToolChoice{Name: t.Name, ToolID: t.ID, Status: t.Status}
		for v := t.Version; v >= 1; v-- {
			ch.Versions = append(ch.Versions, v)
		}
		if i := slices.IndexFunc(activated, func(at store.AgentTool) bool { return at.Name == t.Name }); i >= 0 {
			ch.Activated, ch.Pinned = true, activated[i].Version
		}
		out = append(out, ch)
	}
	slices.SortFunc(out, func(a, b uiToolChoice) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// uiCreateAgent creates an agent from the agents page's form.
func (u *Console) uiCreateAgent(c *gin.Context) error {
	a, err := u.Admin.Agents.Create(c.Request.Context(), httpapi.Who(c).WorkspaceID,
		&admin.AgentInput{Name: uiFormValue(c, "name"), Instructions: strings.TrimSpace(c.PostForm("instructions"))})
	var errs []uiDetail
	if err != nil && formInvalid(err, &errs) {
		return u.renderAgents(c, http.StatusUnprocessableEntity, errs)
	}
	if err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/agents/"+url.PathEscape(a.ID)+"?saved=1")
	return nil
}

// agentPatch reads the agent form into a merge patch: name, instructions,
// model, the activated tools with their pins, and the voice-platform
// secrets typed (set) or marked for deletion; blank secrets are left out,
// so they keep their stored values.
func agentPatch(c *gin.Context, current *admin.Agent) (json.RawMessage, error) {
	patch := map[string]any{"name": uiFormValue(c, "name"), "instructions": strings.TrimSpace(c.PostForm("instructions"))}
	if model := uiFormValue(c, "model"); model == "" || model == "{}" {
		patch["model"] = nil
	} else if !json.Valid([]byte(model)) {
		return nil, &problem.Error{Kind: problem.Invalid, Message: "the agent is invalid", Details: []uiDetail{{Path: "model", Message: "is not valid JSON"}}}
	} else {
		patch["model"] = json.RawMessage(model)
	}
	activated := []store.AgentTool{}
	for _, name := range c.PostFormArray("tool") {
		at := store.AgentTool{Name: name}
		if pin := c.PostForm("pin_" + name); pin != "" {
			v, err := strconv.Atoi(pin)
			if err != nil || v < 0 {
				return nil, &problem.Error{Kind: problem.Invalid, Message: "the agent is invalid",
					Details: []uiDetail{{Path: "tools." + name, Message: "the pinned version must be a number"}}}
			}
			at.Version = v
		}
		activated = append(activated, at)
	}
	patch["tools"] = activated
	adapters := map[string]map[string]*string{}
	for _, row := range adapterRows(current) {
		key := row.Platform + "_" + row.Field
		var v *string
		switch value := c.PostForm("adapter_" + key); {
		case c.PostForm("adapter_clear_"+key) != "":
		case value != "":
			v = &value
		default:
			continue
		}
		if adapters[row.Platform] == nil {
			adapters[row.Platform] = map[string]*string{}
		}
		adapters[row.Platform][row.Field] = v
	}
	if len(adapters) > 0 {
		patch["adapters"] = adapters
	}
	return json.Marshal(patch)
}

// uiUpdateAgent saves the agent form.
func (u *Console) uiUpdateAgent(c *gin.Context) error {
	ctx, ws, id := c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id")
	current, err := u.Admin.Agents.Get(ctx, ws, id)
	if err != nil {
		return err
	}
	patch, err := agentPatch(c, current)
	if err == nil {
		if _, err = u.Admin.Agents.Patch(ctx, ws, id, patch); err == nil {
			c.Redirect(http.StatusSeeOther, "/ui/agents/"+url.PathEscape(id)+"?saved=1")
			return nil
		}
	}
	var errs []uiDetail
	if !formInvalid(err, &errs) {
		return err
	}
	return u.renderAgentPage(c, http.StatusUnprocessableEntity, nil, errs)
}

func (u *Console) uiConfirmDeleteAgent(c *gin.Context) error {
	a, err := u.Admin.Agents.Get(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	path := "/ui/agents/" + url.PathEscape(a.ID)
	u.renderConfirm(c, "agents", uiConfirmData{Title: "Delete agent " + a.Name + "?",
		Message:     "The agent, its activated tools and its voice-platform secrets are deleted. Its runs stay. This cannot be undone.",
		Consequence: "Its keys can call no tools once it is gone; revoke them on the agent's page or the keys page.",
		Action:      path + "/delete", Cancel: path, Button: "Delete agent"})
	return nil
}

func (u *Console) uiDeleteAgent(c *gin.Context) error {
	if err := u.Admin.Agents.Delete(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id")); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/agents?deleted=1")
	return nil
}

func (u *Console) uiConfirmRevokeAgentKey(c *gin.Context) error {
	path := "/ui/agents/" + url.PathEscape(c.Param("id"))
	u.renderConfirm(c, "agents", uiConfirmData{Title: "Revoke this key?",
		Message: "Calls with the key are refused at once. A revoked key cannot be restored.",
		Action:  path + "/keys/" + url.PathEscape(c.Param("key")) + "/revoke", Cancel: path, Button: "Revoke key"})
	return nil
}

package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/store"
)

// uiAgentsData is the agents page's content.
type uiAgentsData struct {
	Agents  []admin.Agent
	Errors  []uiDetail
	Deleted bool
}

// everything is the page of a list the console shows whole.
var everything = store.ListParams{Limit: store.ListLimitMax}

func (u *Console) uiAgents(c *gin.Context) error { return u.renderAgents(c, http.StatusOK, nil) }

func (u *Console) renderAgents(c *gin.Context, status int, errs []uiDetail) error {
	p, err := u.Admin.Agents.List(c.Request.Context(), httpapi.Who(c).WorkspaceID, everything)
	if err != nil {
		return err
	}
	views := p.Items
	slices.SortFunc(views, func(a, b admin.Agent) int { return strings.Compare(a.Name, b.Name) })
	u.uiRender(c, status, "agents", uiPage{Title: "Agents", Nav: "agents", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true,
		Data: uiAgentsData{Agents: views, Errors: errs, Deleted: c.Query("deleted") != ""}})
	return nil
}

// uiAgentTool is an activated tool: its pin and what it resolves to.
type uiAgentTool struct {
	Name, ToolID, Status string
	Pinned, Latest       int
	Missing              bool
}

// uiAgentData is an agent's page content.
type uiAgentData struct {
	Agent admin.Agent
	Tools []uiAgentTool
	Keys  []admin.Key
	// NewKey is shown once, right after it is created.
	NewKey *admin.Key
	// The edit form: every tool of the workspace, the voice-platform
	// secrets, the model settings, and the problems of a refused save.
	Choices  []uiToolChoice
	Adapters []uiAdapterRow
	Model    string
	Saved    bool
	Errors   []uiDetail
}

func (u *Console) uiAgent(c *gin.Context) error { return u.renderAgent(c, nil) }

func (u *Console) renderAgent(c *gin.Context, newKey *admin.Key) error {
	return u.renderAgentPage(c, http.StatusOK, newKey, nil)
}

func (u *Console) renderAgentPage(c *gin.Context, status int, newKey *admin.Key, errs []uiDetail) error {
	ctx := c.Request.Context()
	ws := httpapi.Who(c).WorkspaceID
	view, err := u.Admin.Agents.Get(ctx, ws, c.Param("id"))
	if err != nil {
		return err
	}
	data := uiAgentData{Agent: *view, NewKey: newKey, Adapters: adapterRows(view), Model: prettyJSON(view.Model),
		Saved: c.Query("saved") != "" && c.Request.Method == http.MethodGet, Errors: errs}
	if data.Choices, err = u.toolChoices(c, view.Tools); err != nil {
		return err
	}
	for _, at := range view.Tools {
		ut := uiAgentTool{Name: at.Name, Pinned: at.Version}
		t, err := u.Admin.Tools.GetByName(ctx, ws, at.Name)
		switch {
		case isNotFound(err):
			ut.Missing = true
		case err != nil:
			return err
		default:
			ut.ToolID, ut.Status, ut.Latest = t.ID, t.Status, t.Version
		}
		data.Tools = append(data.Tools, ut)
	}
	lp := everything
	for range 20 {
		keys, err := u.Admin.Keys.List(ctx, ws, lp)
		if err != nil {
			return err
		}
		for _, k := range keys.Items {
			if k.AgentID == view.ID {
				data.Keys = append(data.Keys, k)
			}
		}
		if keys.Next == "" {
			break
		}
		lp.Cursor = keys.Next
	}
	slices.SortFunc(data.Keys, func(x, y admin.Key) int { return y.CreatedAt.Compare(x.CreatedAt) })
	u.uiRender(c, status, "agent", uiPage{Title: "Agent " + view.Name, Nav: "agents", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// uiCreateAgentKey creates an agent key and shows it once, in this response
// only.
func (u *Console) uiCreateAgentKey(c *gin.Context) error {
	k, err := u.Admin.Keys.Create(c.Request.Context(), httpapi.Who(c).WorkspaceID,
		&admin.KeyInput{Name: uiFormValue(c, "name"), Role: store.RoleAgent, AgentID: c.Param("id")})
	if err != nil {
		return err
	}
	return u.renderAgent(c, k)
}

// uiRevokeAgentKey revokes one of the agent's keys.
func (u *Console) uiRevokeAgentKey(c *gin.Context) error {
	if err := u.Admin.Keys.Revoke(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("key")); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/agents/"+url.PathEscape(c.Param("id")))
	return nil
}

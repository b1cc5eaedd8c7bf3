package gateway

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/store"
)

// uiAgentsData is the agents page's content.
type uiAgentsData struct {
	Agents []agentView
}

func (s *Server) uiAgents(c *gin.Context) error {
	as, err := s.store.AgentList(c.Request.Context(), who(c).WorkspaceID, store.ListParams{Limit: store.ListLimitMax})
	if err != nil {
		return err
	}
	views := make([]agentView, 0, len(as))
	for _, a := range as {
		v, err := s.viewAgent(a)
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	slices.SortFunc(views, func(a, b agentView) int { return strings.Compare(a.Name, b.Name) })
	s.uiRender(c, http.StatusOK, "agents", uiPage{Title: "Agents", Nav: "agents", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true,
		Data: uiAgentsData{Agents: views}})
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
	Agent agentView
	Tools []uiAgentTool
	Keys  []keyView
	// NewKey is shown once, right after it is created.
	NewKey *keyView
}

func (s *Server) uiAgent(c *gin.Context) error { return s.renderAgent(c, nil) }

func (s *Server) renderAgent(c *gin.Context, newKey *keyView) error {
	ctx := c.Request.Context()
	ws := who(c).WorkspaceID
	a, err := s.store.AgentGet(ctx, ws, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "agent")
	}
	view, err := s.viewAgent(a)
	if err != nil {
		return err
	}
	data := uiAgentData{Agent: view, NewKey: newKey}
	for _, at := range a.Tools {
		ut := uiAgentTool{Name: at.Name, Pinned: at.Version}
		t, err := s.store.ToolGetByName(ctx, ws, at.Name)
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
	lp := store.ListParams{Limit: store.ListLimitMax}
	for range 20 {
		keys, err := s.store.APIKeyList(ctx, ws, lp)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.AgentID == a.ID {
				data.Keys = append(data.Keys, viewKey(k))
			}
		}
		if len(keys) < lp.EffectiveLimit() {
			break
		}
		lp.Cursor = keys[len(keys)-1].ID
	}
	slices.SortFunc(data.Keys, func(x, y keyView) int { return y.CreatedAt.Compare(x.CreatedAt) })
	s.uiRender(c, http.StatusOK, "agent", uiPage{Title: "Agent " + a.Name, Nav: "agents", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// uiCreateAgentKey creates an agent key through the admin API and shows it
// once, in this response only.
func (s *Server) uiCreateAgentKey(c *gin.Context) error {
	name := uiFormValue(c, "name")
	var v keyView
	if _, err := s.adminCallJSON(c, s.createKey, keyRequest{Name: name, Role: store.RoleAgent, AgentID: c.Param("id")}, nil, &v); err != nil {
		return err
	}
	return s.renderAgent(c, &v)
}

// uiRevokeAgentKey revokes one of the agent's keys through the admin API.
func (s *Server) uiRevokeAgentKey(c *gin.Context) error {
	if _, _, err := s.adminCall(c, s.revokeKey, nil, gin.Params{{Key: "id", Value: c.Param("key")}}); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/agents/"+url.PathEscape(c.Param("id")))
	return nil
}

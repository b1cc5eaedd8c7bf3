package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// agentRequest is the body of POST and (as a merge patch) PATCH
// /v1/admin/agents.
type agentRequest struct {
	Name         string            `json:"name"`
	Instructions string            `json:"instructions,omitempty"`
	Tools        []store.AgentTool `json:"tools,omitempty"`
	Model        json.RawMessage   `json:"model,omitempty"`
}

type agentView struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Instructions string            `json:"instructions"`
	Tools        []store.AgentTool `json:"tools"`
	Model        json.RawMessage   `json:"model,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

func viewAgent(a *store.Agent) agentView {
	v := agentView{ID: a.ID, Name: a.Name, Instructions: a.Instructions, Tools: a.Tools, Model: a.Model, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if v.Tools == nil {
		v.Tools = []store.AgentTool{}
	}
	return v
}

// checkAgent validates an agent request against the workspace's tools.
func (s *Server) checkAgent(c *gin.Context, req *agentRequest) error {
	var errs []tools.FieldError
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 200 {
		errs = append(errs, tools.FieldError{Path: "name", Message: "is required (at most 200 characters)"})
	}
	if len(req.Model) > 0 && !isJSONObject(req.Model) {
		errs = append(errs, tools.FieldError{Path: "model", Message: "must be a JSON object"})
	}
	seen := map[string]bool{}
	ws := who(c).WorkspaceID
	for i, at := range req.Tools {
		path := fmt.Sprintf("tools[%d]", i)
		if seen[at.Name] {
			errs = append(errs, tools.FieldError{Path: path + ".name", Message: "is activated twice"})
			continue
		}
		seen[at.Name] = true
		t, err := s.store.ToolGetByName(c.Request.Context(), ws, at.Name)
		if isNotFound(err) {
			errs = append(errs, tools.FieldError{Path: path + ".name", Message: fmt.Sprintf("no tool named %q", at.Name)})
			continue
		}
		if err != nil {
			return err
		}
		if at.Version < 0 || at.Version > t.Version {
			errs = append(errs, tools.FieldError{Path: path + ".version", Message: fmt.Sprintf("tool %q has no published version %d", at.Name, at.Version)})
		}
	}
	if len(errs) > 0 {
		return validationFailed("the agent is invalid", errs)
	}
	return nil
}

func (s *Server) createAgent(c *gin.Context) error {
	var req agentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.checkAgent(c, &req); err != nil {
		return err
	}
	now := s.now().UTC()
	a := &store.Agent{ID: store.NewID(), WorkspaceID: who(c).WorkspaceID, Name: req.Name, Instructions: req.Instructions,
		Tools: req.Tools, Model: req.Model, CreatedAt: now, UpdatedAt: now}
	if err := s.store.AgentInsert(c.Request.Context(), a); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, viewAgent(a))
	return nil
}

func (s *Server) getAgent(c *gin.Context) error {
	a, err := s.store.AgentGet(c.Request.Context(), who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "agent")
	}
	c.JSON(http.StatusOK, viewAgent(a))
	return nil
}

func (s *Server) listAgents(c *gin.Context) error {
	lp, err := listParams(c)
	if err != nil {
		return err
	}
	as, err := s.store.AgentList(c.Request.Context(), who(c).WorkspaceID, lp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page(as, lp, func(a *store.Agent) string { return a.ID }, viewAgent))
	return nil
}

func (s *Server) patchAgent(c *gin.Context) error {
	p := who(c)
	a, err := s.store.AgentGet(c.Request.Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "agent")
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	current, err := json.Marshal(agentRequest{Name: a.Name, Instructions: a.Instructions, Tools: a.Tools, Model: a.Model})
	if err != nil {
		return err
	}
	merged, err := mergePatch(current, body)
	if err != nil {
		return err
	}
	var req agentRequest
	if err := unmarshalStrict(merged, &req); err != nil {
		return err
	}
	if err := s.checkAgent(c, &req); err != nil {
		return err
	}
	a.Name, a.Instructions, a.Tools, a.Model, a.UpdatedAt = req.Name, req.Instructions, req.Tools, req.Model, s.now().UTC()
	if err := s.store.AgentUpdate(c.Request.Context(), a); err != nil {
		return notFoundAs(err, "agent")
	}
	s.toolsChanged(p.WorkspaceID)
	c.JSON(http.StatusOK, viewAgent(a))
	return nil
}

func (s *Server) deleteAgent(c *gin.Context) error {
	p := who(c)
	if err := s.store.AgentDelete(c.Request.Context(), p.WorkspaceID, c.Param("id")); err != nil {
		return notFoundAs(err, "agent")
	}
	s.toolsChanged(p.WorkspaceID)
	c.Status(http.StatusNoContent)
	return nil
}

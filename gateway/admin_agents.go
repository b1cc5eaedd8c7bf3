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
// /v1/admin/agents. Adapters holds the voice-platform secrets
// ({"vapi": {"secret": ...}, "retell": {"api_key": ...}, "elevenlabs":
// {"secret": ...}}): write-only, merged like a connection's secrets (null
// deletes).
type agentRequest struct {
	Name         string            `json:"name"`
	Instructions string            `json:"instructions,omitempty"`
	Tools        []store.AgentTool `json:"tools,omitempty"`
	Model        json.RawMessage   `json:"model,omitempty"`
	Adapters     json.RawMessage   `json:"adapters,omitempty"`
}

type agentView struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Instructions string            `json:"instructions"`
	Tools        []store.AgentTool `json:"tools"`
	Model        json.RawMessage   `json:"model,omitempty"`
	// Adapters shows which voice-platform secrets are set, never their
	// values.
	Adapters  map[string]map[string]secretState `json:"adapters"`
	CreatedAt time.Time                         `json:"created_at"`
	UpdatedAt time.Time                         `json:"updated_at"`
}

func (s *Server) viewAgent(a *store.Agent) (agentView, error) {
	settings, err := openAdapters(s.box, a)
	if err != nil {
		return agentView{}, err
	}
	v := agentView{ID: a.ID, Name: a.Name, Instructions: a.Instructions, Tools: a.Tools, Model: a.Model,
		Adapters: adaptersView(settings), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if v.Tools == nil {
		v.Tools = []store.AgentTool{}
	}
	return v, nil
}

// respondAgent writes an agent's view with the given status.
func (s *Server) respondAgent(c *gin.Context, status int, a *store.Agent) error {
	v, err := s.viewAgent(a)
	if err != nil {
		return err
	}
	c.JSON(status, v)
	return nil
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
	settings := adapterSettings{}
	if errs := applyAdaptersPatch(settings, req.Adapters); len(errs) > 0 {
		return validationFailed("the agent is invalid", errs)
	}
	now := s.now().UTC()
	a := &store.Agent{ID: store.NewID(), WorkspaceID: who(c).WorkspaceID, Name: req.Name, Instructions: req.Instructions,
		Tools: req.Tools, Model: req.Model, CreatedAt: now, UpdatedAt: now}
	if err := sealAdapters(s.box, a, settings); err != nil {
		return err
	}
	if err := s.store.AgentInsert(c.Request.Context(), a); err != nil {
		return err
	}
	return s.respondAgent(c, http.StatusCreated, a)
}

func (s *Server) getAgent(c *gin.Context) error {
	a, err := s.store.AgentGet(c.Request.Context(), who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "agent")
	}
	return s.respondAgent(c, http.StatusOK, a)
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
	views := make([]agentView, 0, len(as))
	for _, a := range as {
		v, err := s.viewAgent(a)
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	c.JSON(http.StatusOK, page(views, lp, func(v agentView) string { return v.ID }, func(v agentView) agentView { return v }))
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
	var patch agentRequest
	if err := unmarshalStrict(body, &patch); err != nil {
		return err
	}
	// The adapters' secrets merge into the opened settings, not into the
	// public document.
	var patchDoc map[string]json.RawMessage
	if err := json.Unmarshal(body, &patchDoc); err != nil {
		return badRequest("the patch must be a JSON object", nil)
	}
	adaptersPatch, hasAdapters := patchDoc["adapters"]
	delete(patchDoc, "adapters")
	publicPatch, err := json.Marshal(patchDoc)
	if err != nil {
		return err
	}
	current, err := json.Marshal(agentRequest{Name: a.Name, Instructions: a.Instructions, Tools: a.Tools, Model: a.Model})
	if err != nil {
		return err
	}
	merged, err := mergePatch(current, publicPatch)
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
	if hasAdapters {
		settings, err := openAdapters(s.box, a)
		if err != nil {
			return err
		}
		if errs := applyAdaptersPatch(settings, adaptersPatch); len(errs) > 0 {
			return validationFailed("the agent is invalid", errs)
		}
		if err := sealAdapters(s.box, a, settings); err != nil {
			return err
		}
	}
	a.Name, a.Instructions, a.Tools, a.Model, a.UpdatedAt = req.Name, req.Instructions, req.Tools, req.Model, s.now().UTC()
	if err := s.store.AgentUpdate(c.Request.Context(), a); err != nil {
		return notFoundAs(err, "agent")
	}
	s.toolsChanged(p.WorkspaceID)
	return s.respondAgent(c, http.StatusOK, a)
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

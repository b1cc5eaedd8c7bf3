package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
	"github.com/toolgate/toolgate/voice"
)

// Agents are the use cases of agents: the tools activated for them, their
// instructions and model settings, and their voice-platform secrets.
type Agents struct{ d *deps }

// AgentInput is an agent as an admin writes it. Adapters holds the
// voice-platform secrets ({"vapi": {"secret": ...}, "retell": {"api_key":
// ...}, "elevenlabs": {"secret": ...}}): write-only, merged like a
// connection's secrets (null deletes).
type AgentInput struct {
	Name         string            `json:"name" jsonschema_description:"The agent's name."`
	Instructions string            `json:"instructions,omitempty" jsonschema_description:"The system instructions of the built-in chat runner (/v1/chat/completions)."`
	Tools        []store.AgentTool `json:"tools,omitempty" jsonschema_description:"The tools activated for the agent, by name: the latest published version, or the version given."`
	Model        json.RawMessage   `json:"model,omitempty" jsonschema_description:"The built-in chat runner's model settings: name (the model; required to chat), base_url (an OpenAI-compatible API), connection (whose api_key or token secret is the API's key) and max_steps (model requests per completion)."`
	Adapters     json.RawMessage   `json:"adapters,omitempty" jsonschema_description:"Write-only voice-platform secrets: {\"vapi\": {\"secret\": ...}, \"retell\": {\"api_key\": ...}, \"elevenlabs\": {\"secret\": ...}}; merged like a connection's secrets (null deletes)."`
}

// AgentNameMax bounds an agent's name.
const AgentNameMax = 200

// Agent is an agent as the admin API shows it.
type Agent struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Instructions string            `json:"instructions"`
	Tools        []store.AgentTool `json:"tools"`
	Model        json.RawMessage   `json:"model,omitempty"`
	// Adapters shows which voice-platform secrets are set, never their
	// values.
	Adapters  map[string]map[string]SecretState `json:"adapters"`
	CreatedAt time.Time                         `json:"created_at"`
	UpdatedAt time.Time                         `json:"updated_at"`
}

func (s *Agents) view(a *store.Agent) (Agent, error) {
	settings, err := voice.OpenSettings(s.d.box, a)
	if err != nil {
		return Agent{}, err
	}
	adapters := map[string]map[string]SecretState{}
	for platform, fields := range voice.View(settings) {
		adapters[platform] = map[string]SecretState{}
		for field, set := range fields {
			adapters[platform][field] = SecretState{Set: set}
		}
	}
	v := Agent{ID: a.ID, Name: a.Name, Instructions: a.Instructions, Tools: a.Tools, Model: a.Model,
		Adapters: adapters, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if v.Tools == nil {
		v.Tools = []store.AgentTool{}
	}
	return v, nil
}

// check validates an agent input against the workspace's tools.
func (s *Agents) check(ctx context.Context, workspaceID string, in *AgentInput) error {
	var errs []tools.FieldError
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > AgentNameMax {
		errs = append(errs, tools.FieldError{Path: "name", Message: fmt.Sprintf("is required (at most %d characters)", AgentNameMax)})
	}
	if len(in.Model) > 0 && !isJSONObject(in.Model) {
		errs = append(errs, tools.FieldError{Path: "model", Message: "must be a JSON object"})
	}
	seen := map[string]bool{}
	for i, at := range in.Tools {
		path := fmt.Sprintf("tools[%d]", i)
		if seen[at.Name] {
			errs = append(errs, tools.FieldError{Path: path + ".name", Message: "is activated twice"})
			continue
		}
		seen[at.Name] = true
		t, err := s.d.store.ToolGetByName(ctx, workspaceID, at.Name)
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
		return problem.Invalidf(errs, "the agent is invalid")
	}
	return nil
}

// Create stores a new agent.
func (s *Agents) Create(ctx context.Context, workspaceID string, in *AgentInput) (*Agent, error) {
	if err := s.check(ctx, workspaceID, in); err != nil {
		return nil, err
	}
	settings := voice.Settings{}
	if errs := voice.ApplyPatch(settings, in.Adapters); len(errs) > 0 {
		return nil, problem.Invalidf(errs, "the agent is invalid")
	}
	now := s.d.now().UTC()
	a := &store.Agent{ID: store.NewID(), WorkspaceID: workspaceID, Name: in.Name, Instructions: in.Instructions,
		Tools: in.Tools, Model: in.Model, CreatedAt: now, UpdatedAt: now}
	if err := voice.SealSettings(s.d.box, a, settings); err != nil {
		return nil, err
	}
	if err := s.d.store.AgentInsert(ctx, a); err != nil {
		return nil, err
	}
	s.d.notify(ctx, workspaceID, changes.Agents, a.ID)
	v, err := s.view(a)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Get returns an agent.
func (s *Agents) Get(ctx context.Context, workspaceID, id string) (*Agent, error) {
	a, err := s.d.store.AgentGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "agent")
	}
	v, err := s.view(a)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// List pages through the workspace's agents.
func (s *Agents) List(ctx context.Context, workspaceID string, p store.ListParams) (*Page[Agent], error) {
	as, err := s.d.store.AgentList(ctx, workspaceID, p)
	if err != nil {
		return nil, err
	}
	return pageOf(as, p, func(a *store.Agent) string { return a.ID }, s.view)
}

// Patch applies a JSON merge patch to an agent. Its "adapters" member is
// merged into the opened voice-platform settings, never into the public
// document.
func (s *Agents) Patch(ctx context.Context, workspaceID, id string, patch []byte) (*Agent, error) {
	a, err := s.d.store.AgentGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "agent")
	}
	var strict AgentInput
	if err := problem.DecodeJSON(patch, &strict); err != nil {
		return nil, err
	}
	doc, err := splitPatch(patch)
	if err != nil {
		return nil, err
	}
	adaptersPatch, hasAdapters := doc["adapters"]
	delete(doc, "adapters")
	publicPatch, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	current, err := json.Marshal(AgentInput{Name: a.Name, Instructions: a.Instructions, Tools: a.Tools, Model: a.Model})
	if err != nil {
		return nil, err
	}
	merged, err := mergePatch(current, publicPatch)
	if err != nil {
		return nil, err
	}
	var in AgentInput
	if err := problem.DecodeJSON(merged, &in); err != nil {
		return nil, err
	}
	if err := s.check(ctx, workspaceID, &in); err != nil {
		return nil, err
	}
	if hasAdapters {
		settings, err := voice.OpenSettings(s.d.box, a)
		if err != nil {
			return nil, err
		}
		if errs := voice.ApplyPatch(settings, adaptersPatch); len(errs) > 0 {
			return nil, problem.Invalidf(errs, "the agent is invalid")
		}
		if err := voice.SealSettings(s.d.box, a, settings); err != nil {
			return nil, err
		}
	}
	a.Name, a.Instructions, a.Tools, a.Model, a.UpdatedAt = in.Name, in.Instructions, in.Tools, in.Model, s.d.now().UTC()
	if err := s.d.store.AgentUpdate(ctx, a); err != nil {
		return nil, notFoundAs(err, "agent")
	}
	s.d.notify(ctx, workspaceID, changes.Agents, a.ID)
	v, err := s.view(a)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Delete deletes an agent.
func (s *Agents) Delete(ctx context.Context, workspaceID, id string) error {
	if err := s.d.store.AgentDelete(ctx, workspaceID, id); err != nil {
		return notFoundAs(err, "agent")
	}
	s.d.notify(ctx, workspaceID, changes.Agents, id)
	return nil
}

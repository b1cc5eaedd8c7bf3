package voice

import (
	"context"
	"errors"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Export is an agent's published tools as one platform's tool
// definitions, each calling the agent's adapter URL.
type Export struct {
	Platform string `json:"platform"`
	AgentID  string `json:"agent_id"`
	URL      string `json:"url"`
	// Configured says whether the agent has the platform's settings.
	Configured bool  `json:"configured"`
	Tools      []any `json:"tools"`
	// Unconverted lists what of the tools' argument schemas the platform's
	// schema subset cannot express (empty when everything could be said).
	// Each tool is exported all the same, as closely as the platform allows.
	Unconverted []Unconverted `json:"unconverted"`
}

// Unconverted is one part of a tool's argument schema that a platform
// cannot express.
type Unconverted struct {
	Tool string `json:"tool"`
	// Path is where in the schema: input_schema.properties.tags.
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Export builds the export of an agent's tools for a platform, with the
// adapter URLs under base (the gateway's public URL). Secrets are never
// included.
func (s *Service) Export(ctx context.Context, workspaceID, agentID, platform, base string) (*Export, error) {
	agent, err := s.store.AgentGet(ctx, workspaceID, agentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFoundf("agent")
	}
	if err != nil {
		return nil, err
	}
	p := Lookup(platform)
	if p == nil {
		return nil, problem.NotFoundf("export platform (use vapi, retell or elevenlabs)")
	}
	list, err := s.catalog.AgentTools(ctx, workspaceID, agent.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFoundf("agent")
	}
	if err != nil {
		return nil, err
	}
	settings, err := OpenSettings(s.box, agent)
	if err != nil {
		return nil, err
	}
	agentURL := AgentURL(base, p.Name(), agent.ID)
	out := &Export{Platform: p.Name(), AgentID: agent.ID, URL: agentURL, Configured: settings.Configured(p.Name()),
		Tools: make([]any, 0, len(list)), Unconverted: []Unconverted{}}
	for _, t := range list {
		def, lost := p.Export(t, ToolURL(p, agentURL, t.Name))
		out.Tools = append(out.Tools, def)
		for _, e := range lost {
			out.Unconverted = append(out.Unconverted, Unconverted{Tool: t.Name, Path: e.Path, Reason: e.Reason})
		}
	}
	return out, nil
}

// timeoutSeconds is the tool's timeout rounded up, plus a second for
// toolgate's own work, clamped to [lo, hi].
func timeoutSeconds(t *tools.Prepared, lo, hi int) int {
	secs := (t.Def.EffectiveTimeoutMS()+999)/1000 + 1
	return min(max(secs, lo), hi)
}

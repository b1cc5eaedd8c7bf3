package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Flows are the use cases of an agent's conversation flows: drafts,
// validation, publication, versions, and reading their sessions.
type Flows struct{ d *deps }

// FlowNameMaxChars bounds a flow's name.
const FlowNameMaxChars = 100

// FlowInput creates a flow.
type FlowInput struct {
	Name string `json:"name"`
	// Type is store.FlowTypeConversation (the default); FlowTypeMeta
	// (WhatsApp UI flows) is refused.
	Type string `json:"type,omitempty"`
	// Flow is the draft's definition; {} when omitted.
	Flow json.RawMessage `json:"flow,omitempty"`
}

// FlowPatch changes a flow's draft: Flow, when given, replaces its
// definition entirely.
type FlowPatch struct {
	Name *string         `json:"name,omitempty"`
	Flow json.RawMessage `json:"flow,omitempty"`
}

// Flow is a flow as the admin API shows it. Flow (the draft definition) is
// left out of lists.
type Flow struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	AgentID string `json:"agent_id"`
	Type    string `json:"type"`
	// Status is draft until the first publish, then published.
	Status string `json:"status"`
	// Version is the latest published version, 0 if none.
	Version     int             `json:"version"`
	Flow        json.RawMessage `json:"flow,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	PublishedAt *time.Time      `json:"published_at"`
}

// FlowPage is a page of an agent's flows with how many it has in all.
type FlowPage struct {
	Page[Flow]
	Total int
}

// FlowPublished is the answer to a publish.
type FlowPublished struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	Version     int       `json:"version"`
	PublishedAt time.Time `json:"published_at"`
}

// FlowVersion is a published, immutable version of a flow.
type FlowVersion struct {
	Version     int             `json:"version"`
	Name        string          `json:"name"`
	PublishedAt time.Time       `json:"published_at"`
	Flow        json.RawMessage `json:"flow"`
}

// emptyDefinition is the draft of a flow created without one.
var emptyDefinition = json.RawMessage(`{}`)

func viewFlow(f *store.Flow, withDefinition bool) Flow {
	v := Flow{ID: f.ID, AgentID: f.AgentID, Name: f.Name, Type: f.Type, Status: f.Status, Version: f.Version,
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt, PublishedAt: f.PublishedAt}
	if withDefinition {
		v.Flow = f.Definition
		if len(bytes.TrimSpace(v.Flow)) == 0 || string(v.Flow) == "null" {
			v.Flow = emptyDefinition
		}
	}
	return v
}

// checkFlowName trims a flow's name and checks it: a name is sent in the
// X-Toolgate-Flow-Name header of every call the flow makes and names its
// runs ("flow:<name>"), so it is printable text on one line.
func checkFlowName(name string) (string, *tools.FieldError) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	ok := n > 0 && n <= FlowNameMaxChars && utf8.ValidString(name)
	for _, r := range name {
		if !ok {
			break
		}
		ok = unicode.IsPrint(r)
	}
	if !ok {
		return "", &tools.FieldError{Path: "name", Message: fmt.Sprintf(
			"must be 1 to %d printable characters on one line (no control characters): it is sent in the X-Toolgate-Flow-Name header",
			FlowNameMaxChars)}
	}
	return name, nil
}

// decodeFlowDefinition decodes a draft definition strictly and returns it
// compacted (as written: key order kept). Problems are Invalid, each with
// its path in the definition.
func decodeFlowDefinition(raw json.RawMessage) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, problem.Invalidf([]tools.FieldError{{Path: "flow", Message: "must be a JSON object: the whole definition"}},
			"the flow definition is invalid")
	}
	if _, err := flows.Decode(trimmed); err != nil {
		var de *flows.DecodeError
		if errors.As(err, &de) {
			return nil, problem.Invalidf(de.Issues, "the flow definition is invalid")
		}
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return nil, problem.Invalidf([]tools.FieldError{{Path: "flow", Message: "is not valid JSON"}}, "the flow definition is invalid")
	}
	return buf.Bytes(), nil
}

// flowConflict is the problem of a name the agent already uses.
func flowConflict(err error, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return problem.Conflictf("the agent already has a flow named %q", name)
	}
	return err
}

// List pages through the agent's flows (without their definitions).
func (s *Flows) List(ctx context.Context, workspaceID, agentID string, p store.ListParams) (*FlowPage, error) {
	if _, err := s.d.store.AgentGet(ctx, workspaceID, agentID); err != nil {
		return nil, notFoundAs(err, "agent")
	}
	fs, err := s.d.store.FlowList(ctx, workspaceID, agentID, p)
	if err != nil {
		return nil, err
	}
	total, err := s.d.store.FlowCount(ctx, workspaceID, agentID)
	if err != nil {
		return nil, err
	}
	page, err := pageOf(fs, p, func(f *store.Flow) string { return f.ID },
		func(f *store.Flow) (Flow, error) { return viewFlow(f, false), nil })
	if err != nil {
		return nil, err
	}
	return &FlowPage{Page: *page, Total: total}, nil
}

// Create stores a new draft flow of the agent.
func (s *Flows) Create(ctx context.Context, workspaceID, agentID string, in *FlowInput) (*Flow, error) {
	var errs []tools.FieldError
	name, nameErr := checkFlowName(in.Name)
	if nameErr != nil {
		errs = append(errs, *nameErr)
	}
	switch in.Type {
	case "", store.FlowTypeConversation:
	case store.FlowTypeMeta:
		errs = append(errs, tools.FieldError{Path: "type", Message: "WhatsApp UI flows (type meta) are not supported: " +
			"toolgate runs conversation flows only (type conversation)"})
	default:
		errs = append(errs, tools.FieldError{Path: "type", Message: "must be conversation"})
	}
	if len(errs) > 0 {
		return nil, problem.Invalidf(errs, "the flow is invalid")
	}
	definition := emptyDefinition
	if len(in.Flow) > 0 {
		var err error
		if definition, err = decodeFlowDefinition(in.Flow); err != nil {
			return nil, err
		}
	}
	now := s.d.now().UTC()
	f := &store.Flow{ID: store.NewID(), WorkspaceID: workspaceID, AgentID: agentID, Name: name,
		Type: store.FlowTypeConversation, Definition: definition, Status: store.FlowStatusDraft, CreatedAt: now, UpdatedAt: now}
	if err := s.d.store.FlowInsert(ctx, f); err != nil {
		return nil, flowConflict(notFoundAs(err, "agent"), name)
	}
	s.d.notify(ctx, workspaceID, changes.Flows, f.ID)
	v := viewFlow(f, true)
	return &v, nil
}

// Get returns the agent's flow with its draft definition.
func (s *Flows) Get(ctx context.Context, workspaceID, agentID, id string) (*Flow, error) {
	f, err := s.d.store.FlowGet(ctx, workspaceID, agentID, id)
	if err != nil {
		return nil, notFoundAs(err, "flow")
	}
	v := viewFlow(f, true)
	return &v, nil
}

// Patch renames a flow or replaces its draft definition. Published
// versions never change.
func (s *Flows) Patch(ctx context.Context, workspaceID, agentID, id string, in *FlowPatch) (*Flow, error) {
	f, err := s.d.store.FlowGet(ctx, workspaceID, agentID, id)
	if err != nil {
		return nil, notFoundAs(err, "flow")
	}
	if in.Name != nil {
		name, nameErr := checkFlowName(*in.Name)
		if nameErr != nil {
			return nil, problem.Invalidf([]tools.FieldError{*nameErr}, "the flow is invalid")
		}
		f.Name = name
	}
	if len(in.Flow) > 0 {
		if f.Definition, err = decodeFlowDefinition(in.Flow); err != nil {
			return nil, err
		}
	}
	f.UpdatedAt = s.d.now().UTC()
	if err := s.d.store.FlowUpdate(ctx, f); err != nil {
		return nil, flowConflict(notFoundAs(err, "flow"), f.Name)
	}
	s.d.notify(ctx, workspaceID, changes.Flows, f.ID)
	v := viewFlow(f, true)
	return &v, nil
}

// Delete deletes a flow and its versions; its open sessions end, saying
// the flow was deleted.
func (s *Flows) Delete(ctx context.Context, workspaceID, agentID, id string) error {
	ended, err := s.d.store.FlowDelete(ctx, workspaceID, agentID, id, s.d.now().UTC())
	if err != nil {
		return notFoundAs(err, "flow")
	}
	if ended > 0 {
		s.d.log.InfoContext(ctx, "deleted a flow and ended its open sessions", "flow_id", id, "sessions", ended)
	}
	s.d.notify(ctx, workspaceID, changes.Flows, id)
	return nil
}

// Validate checks a flow's draft against the workspace's connections and
// the agent's tools. It changes nothing.
func (s *Flows) Validate(ctx context.Context, workspaceID, agentID, id string) (*flows.Report, error) {
	f, err := s.d.store.FlowGet(ctx, workspaceID, agentID, id)
	if err != nil {
		return nil, notFoundAs(err, "flow")
	}
	return s.validate(ctx, f)
}

func (s *Flows) validate(ctx context.Context, f *store.Flow) (*flows.Report, error) {
	return flows.ValidateJSON(ctx, f.Definition, &flowLookup{d: s.d, workspaceID: f.WorkspaceID, agentID: f.AgentID})
}

// Publish validates a flow's draft and stores it as the next immutable
// version; a draft with errors is Invalid, with the errors as details.
func (s *Flows) Publish(ctx context.Context, workspaceID, agentID, id string) (*FlowPublished, error) {
	f, err := s.d.store.FlowGet(ctx, workspaceID, agentID, id)
	if err != nil {
		return nil, notFoundAs(err, "flow")
	}
	report, err := s.validate(ctx, f)
	if err != nil {
		return nil, err
	}
	if !report.Valid {
		return nil, problem.Invalidf(report.Errors, "the flow has errors and cannot be published")
	}
	v, err := s.d.store.FlowPublish(ctx, workspaceID, agentID, id, s.d.now().UTC())
	if err != nil {
		return nil, notFoundAs(err, "flow")
	}
	s.d.notify(ctx, workspaceID, changes.Flows, id)
	return &FlowPublished{ID: id, Status: store.FlowStatusPublished, Version: v.Version, PublishedAt: v.PublishedAt}, nil
}

// Versions lists a flow's published versions, oldest first.
func (s *Flows) Versions(ctx context.Context, workspaceID, agentID, id string) ([]FlowVersion, error) {
	f, err := s.d.store.FlowGet(ctx, workspaceID, agentID, id)
	if err != nil {
		return nil, notFoundAs(err, "flow")
	}
	versions, err := s.d.store.FlowVersionList(ctx, workspaceID, f.ID)
	if err != nil {
		return nil, err
	}
	out := make([]FlowVersion, 0, len(versions))
	for _, v := range versions {
		out = append(out, FlowVersion{Version: v.Version, Name: v.Name, PublishedAt: v.PublishedAt, Flow: v.Definition})
	}
	return out, nil
}

// flowLookup answers validation from the store: the workspace's
// connections, and the published tools the agent has activated (what a
// flow's tool action may call).
type flowLookup struct {
	d                    *deps
	workspaceID, agentID string
	agent                *store.Agent
}

var _ flows.Lookup = (*flowLookup)(nil)

// ConnectionExists implements flows.Lookup.
func (l *flowLookup) ConnectionExists(ctx context.Context, name string) (bool, error) {
	_, err := l.d.store.ConnectionGetByName(ctx, l.workspaceID, name)
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// ToolPublished implements flows.Lookup: the tool is activated for the
// agent and its pinned (or latest) version is published.
func (l *flowLookup) ToolPublished(ctx context.Context, name string) (bool, error) {
	if l.agent == nil {
		a, err := l.d.store.AgentGet(ctx, l.workspaceID, l.agentID)
		if err != nil {
			return false, err
		}
		l.agent = a
	}
	pinned := -1
	for _, at := range l.agent.Tools {
		if at.Name == name {
			pinned = at.Version
		}
	}
	if pinned < 0 {
		return false, nil
	}
	t, err := l.d.store.ToolGetByName(ctx, l.workspaceID, name)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return t.Version > 0 && pinned <= t.Version, nil
}

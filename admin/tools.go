package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Tools are the use cases of tools: drafts, validation, publication and
// versions.
type Tools struct{ d *deps }

// Tool is a tool as the admin API shows it: its draft definition and
// publication state.
type Tool struct {
	ID string `json:"id"`
	tools.Definition
	Status      string     `json:"status"`
	Version     int        `json:"version"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

func viewTool(t *store.Tool) Tool {
	v := Tool{ID: t.ID, Status: t.Status, Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, PublishedAt: t.PublishedAt}
	_ = json.Unmarshal(t.Definition, &v.Definition)
	return v
}

// ToolVersion is a published, immutable version of a tool.
type ToolVersion struct {
	Version     int       `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	tools.Definition
}

// Published is the answer to a publish.
type Published struct {
	ID          string             `json:"id"`
	Status      string             `json:"status"`
	Version     int                `json:"version"`
	PublishedAt time.Time          `json:"published_at"`
	Warnings    []tools.FieldError `json:"warnings"`
}

// decodeDefinition strictly decodes and normalises a tool definition, and
// refuses the few problems a draft cannot be stored with.
func decodeDefinition(data []byte) (*tools.Definition, error) {
	var def tools.Definition
	if err := problem.DecodeJSON(data, &def); err != nil {
		return nil, err
	}
	def.Method = strings.ToUpper(strings.TrimSpace(def.Method))
	if def.Method == "" {
		def.Method = tools.MethodDefault
	}
	if def.TimeoutMS == 0 {
		def.TimeoutMS = tools.TimeoutMSDefault
	}
	// A draft may be incomplete (validate says what is missing), but not
	// plainly wrong.
	var errs []tools.FieldError
	if !tools.ValidName(def.Name) {
		errs = append(errs, tools.FieldError{Path: "name", Message: "must match ^[a-zA-Z0-9_-]{1,64}$"})
	}
	if !slices.Contains(tools.Methods, def.Method) {
		errs = append(errs, tools.FieldError{Path: "method", Message: "must be one of " + strings.Join(tools.Methods, ", ")})
	}
	if len(def.InputSchema) > 0 {
		var root struct {
			Type any `json:"type"`
		}
		if err := json.Unmarshal(def.InputSchema, &root); err != nil {
			errs = append(errs, tools.FieldError{Path: "input_schema", Message: "must be a JSON Schema object"})
		} else if root.Type != nil && root.Type != "object" {
			errs = append(errs, tools.FieldError{Path: "input_schema.type", Message: fmt.Sprintf(`must be "object", not %s: tool arguments are always a JSON object`, jsonText(root.Type))})
		}
	}
	if len(errs) > 0 {
		return nil, problem.Invalidf(errs, "the tool is invalid")
	}
	return &def, nil
}

// jsonText is v as JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Create stores a new draft from its JSON definition.
func (s *Tools) Create(ctx context.Context, workspaceID string, definition []byte) (*Tool, error) {
	def, err := decodeDefinition(definition)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	now := s.d.now().UTC()
	t := &store.Tool{ID: store.NewID(), WorkspaceID: workspaceID, Name: def.Name, Definition: raw,
		Status: store.ToolStatusDraft, CreatedAt: now, UpdatedAt: now}
	if err := s.d.store.ToolInsert(ctx, t); err != nil {
		return nil, err
	}
	s.d.notify(ctx, workspaceID, changes.Tools, t.ID)
	v := viewTool(t)
	return &v, nil
}

// Get returns a tool's draft and publication state.
func (s *Tools) Get(ctx context.Context, workspaceID, id string) (*Tool, error) {
	t, err := s.d.store.ToolGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "tool")
	}
	v := viewTool(t)
	return &v, nil
}

// List pages through the workspace's tools.
func (s *Tools) List(ctx context.Context, workspaceID string, p store.ListParams) (*Page[Tool], error) {
	ts, err := s.d.store.ToolList(ctx, workspaceID, p)
	if err != nil {
		return nil, err
	}
	return pageOf(ts, p, func(t *store.Tool) string { return t.ID }, func(t *store.Tool) (Tool, error) { return viewTool(t), nil })
}

// Patch applies a JSON merge patch to a tool's draft.
func (s *Tools) Patch(ctx context.Context, workspaceID, id string, patch []byte) (*Tool, error) {
	t, err := s.d.store.ToolGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "tool")
	}
	merged, err := mergePatch(t.Definition, patch)
	if err != nil {
		return nil, err
	}
	def, err := decodeDefinition(merged)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	t.Name, t.Definition, t.UpdatedAt = def.Name, raw, s.d.now().UTC()
	if err := s.d.store.ToolUpdate(ctx, t); err != nil {
		return nil, notFoundAs(err, "tool")
	}
	s.d.notify(ctx, workspaceID, changes.Tools, t.ID)
	v := viewTool(t)
	return &v, nil
}

// Delete deletes a tool and its versions.
func (s *Tools) Delete(ctx context.Context, workspaceID, id string) error {
	if err := s.d.store.ToolDelete(ctx, workspaceID, id); err != nil {
		return notFoundAs(err, "tool")
	}
	s.d.notify(ctx, workspaceID, changes.Tools, id)
	return nil
}

// Validate runs the full validation of a tool's draft against the
// workspace's connections.
func (s *Tools) Validate(ctx context.Context, workspaceID, id string) (*tools.Report, error) {
	t, err := s.d.store.ToolGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "tool")
	}
	return s.validate(ctx, t)
}

func (s *Tools) validate(ctx context.Context, t *store.Tool) (*tools.Report, error) {
	var def tools.Definition
	if err := json.Unmarshal(t.Definition, &def); err != nil {
		return nil, err
	}
	return s.validateDefinition(ctx, t.WorkspaceID, &def)
}

// ValidateDefinition runs the full validation of a definition given as
// JSON (an edited draft, not saved) against the workspace's connections,
// as Validate does for a stored draft. A definition that does not decode,
// or that a draft could not be stored with, is an invalid report with
// those problems, not an error: the console's editor shows them as the
// author types. Errors are only for failures to validate.
func (s *Tools) ValidateDefinition(ctx context.Context, workspaceID string, definition []byte) (*tools.Report, error) {
	def, err := decodeDefinition(definition)
	if err != nil {
		var pe *problem.Error
		if !errors.As(err, &pe) {
			return nil, err
		}
		report := &tools.Report{Errors: problemFieldErrors(pe), Warnings: []tools.FieldError{}}
		return report, nil
	}
	return s.validateDefinition(ctx, workspaceID, def)
}

// problemFieldErrors lists a problem's details as field errors (the
// problem's message when it has none).
func problemFieldErrors(pe *problem.Error) []tools.FieldError {
	switch d := pe.Details.(type) {
	case []tools.FieldError:
		if len(d) > 0 {
			return d
		}
	case map[string]string:
		if field, ok := d["field"]; ok && len(d) == 1 {
			return []tools.FieldError{{Path: field, Message: pe.Message}}
		}
		out := make([]tools.FieldError, 0, len(d))
		for _, k := range slices.Sorted(maps.Keys(d)) {
			out = append(out, tools.FieldError{Path: k, Message: d[k]})
		}
		if len(out) > 0 {
			return out
		}
	}
	return []tools.FieldError{{Path: "", Message: pe.Message}}
}

func (s *Tools) validateDefinition(ctx context.Context, workspaceID string, def *tools.Definition) (*tools.Report, error) {
	var conn *tools.Connection
	if def.Connection != "" {
		sc, err := s.d.store.ConnectionGetByName(ctx, workspaceID, def.Connection)
		switch {
		case err == nil:
			if conn, err = tools.OpenConnection(s.d.box, sc); err != nil {
				return nil, err
			}
		case !isNotFound(err):
			return nil, err
		}
	}
	return tools.Validate(def, conn), nil
}

// Publish validates a tool's draft and stores it as the next immutable
// version, with its renderings in every listing format (package listing);
// a draft with errors is Invalid, with the errors as details.
func (s *Tools) Publish(ctx context.Context, workspaceID, id string) (*Published, error) {
	t, err := s.d.store.ToolGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "tool")
	}
	report, err := s.validate(ctx, t)
	if err != nil {
		return nil, err
	}
	if !report.Valid {
		return nil, problem.Invalidf(report.Errors, "the tool has errors and cannot be published")
	}
	v, err := s.d.store.ToolPublish(ctx, workspaceID, t.ID, s.d.now().UTC())
	if err != nil {
		return nil, notFoundAs(err, "tool")
	}
	s.storeListings(ctx, v)
	s.d.notify(ctx, workspaceID, changes.Tools, t.ID)
	return &Published{ID: t.ID, Status: store.ToolStatusPublished, Version: v.Version, PublishedAt: v.PublishedAt, Warnings: report.Warnings}, nil
}

// Versions lists a tool's published versions, oldest first.
func (s *Tools) Versions(ctx context.Context, workspaceID, id string) ([]ToolVersion, error) {
	t, err := s.d.store.ToolGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "tool")
	}
	versions, err := s.d.store.ToolVersionList(ctx, workspaceID, t.ID)
	if err != nil {
		return nil, err
	}
	out := make([]ToolVersion, 0, len(versions))
	for _, v := range versions {
		tv := ToolVersion{Version: v.Version, PublishedAt: v.PublishedAt}
		_ = json.Unmarshal(v.Definition, &tv.Definition)
		out = append(out, tv)
	}
	return out, nil
}

// VersionDefinition returns the definition of one published version, or of
// the draft when version is 0.
func (s *Tools) VersionDefinition(ctx context.Context, workspaceID, id string, version int) (json.RawMessage, error) {
	if version == 0 {
		t, err := s.d.store.ToolGet(ctx, workspaceID, id)
		if err != nil {
			return nil, notFoundAs(err, "tool")
		}
		return t.Definition, nil
	}
	v, err := s.d.store.ToolVersionGet(ctx, workspaceID, id, version)
	if err != nil {
		return nil, notFoundAs(err, "tool version")
	}
	return v.Definition, nil
}

// GetByName returns a tool by name.
func (s *Tools) GetByName(ctx context.Context, workspaceID, name string) (*Tool, error) {
	t, err := s.d.store.ToolGetByName(ctx, workspaceID, name)
	if err != nil {
		return nil, notFoundAs(err, "tool")
	}
	v := viewTool(t)
	return &v, nil
}

package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// toolView is a tool as the admin API shows it: its draft definition and
// publication state.
type toolView struct {
	ID string `json:"id"`
	tools.Definition
	Status      string     `json:"status"`
	Version     int        `json:"version"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

func viewTool(t *store.Tool) toolView {
	v := toolView{ID: t.ID, Status: t.Status, Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, PublishedAt: t.PublishedAt}
	_ = json.Unmarshal(t.Definition, &v.Definition)
	return v
}

type toolVersionView struct {
	Version     int       `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	tools.Definition
}

// decodeDefinition strictly decodes and normalises a tool definition, and
// refuses the few problems a draft cannot be stored with.
func decodeDefinition(data []byte) (*tools.Definition, error) {
	var def tools.Definition
	if err := unmarshalStrict(data, &def); err != nil {
		return nil, err
	}
	def.Method = strings.ToUpper(strings.TrimSpace(def.Method))
	if def.Method == "" {
		def.Method = tools.MethodDefault
	}
	if def.TimeoutMS == 0 {
		def.TimeoutMS = tools.TimeoutMSDefault
	}
	if !tools.ValidName(def.Name) {
		return nil, validationFailed("the tool is invalid", []tools.FieldError{{Path: "name", Message: "must match ^[a-zA-Z0-9_-]{1,64}$"}})
	}
	return &def, nil
}

func (s *Server) createTool(c *gin.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	def, err := decodeDefinition(body)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(def)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	t := &store.Tool{ID: store.NewID(), WorkspaceID: who(c).WorkspaceID, Name: def.Name, Definition: raw,
		Status: store.ToolStatusDraft, CreatedAt: now, UpdatedAt: now}
	if err := s.store.ToolInsert(c.Request.Context(), t); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, viewTool(t))
	return nil
}

func (s *Server) getTool(c *gin.Context) error {
	t, err := s.store.ToolGet(c.Request.Context(), who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "tool")
	}
	c.JSON(http.StatusOK, viewTool(t))
	return nil
}

func (s *Server) listTools(c *gin.Context) error {
	lp, err := listParams(c)
	if err != nil {
		return err
	}
	ts, err := s.store.ToolList(c.Request.Context(), who(c).WorkspaceID, lp)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page(ts, lp, func(t *store.Tool) string { return t.ID }, viewTool))
	return nil
}

func (s *Server) patchTool(c *gin.Context) error {
	t, err := s.store.ToolGet(c.Request.Context(), who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "tool")
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	merged, err := mergePatch(t.Definition, body)
	if err != nil {
		return err
	}
	def, err := decodeDefinition(merged)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(def)
	if err != nil {
		return err
	}
	t.Name, t.Definition, t.UpdatedAt = def.Name, raw, s.now().UTC()
	if err := s.store.ToolUpdate(c.Request.Context(), t); err != nil {
		return notFoundAs(err, "tool")
	}
	c.JSON(http.StatusOK, viewTool(t))
	return nil
}

func (s *Server) deleteTool(c *gin.Context) error {
	p := who(c)
	if err := s.store.ToolDelete(c.Request.Context(), p.WorkspaceID, c.Param("id")); err != nil {
		return notFoundAs(err, "tool")
	}
	s.toolsChanged(p.WorkspaceID)
	c.Status(http.StatusNoContent)
	return nil
}

// validateDraft runs the full validation of a tool's draft.
func (s *Server) validateDraft(c *gin.Context, t *store.Tool) (*tools.Report, error) {
	var def tools.Definition
	if err := json.Unmarshal(t.Definition, &def); err != nil {
		return nil, err
	}
	var conn *tools.Connection
	if def.Connection != "" {
		sc, err := s.store.ConnectionGetByName(c.Request.Context(), t.WorkspaceID, def.Connection)
		switch {
		case err == nil:
			conn, err = tools.OpenConnection(s.box, sc)
			if err != nil {
				return nil, err
			}
		case !isNotFound(err):
			return nil, err
		}
	}
	return tools.Validate(&def, conn), nil
}

func (s *Server) validateTool(c *gin.Context) error {
	t, err := s.store.ToolGet(c.Request.Context(), who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "tool")
	}
	report, err := s.validateDraft(c, t)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, report)
	return nil
}

type publishView struct {
	ID          string             `json:"id"`
	Status      string             `json:"status"`
	Version     int                `json:"version"`
	PublishedAt time.Time          `json:"published_at"`
	Warnings    []tools.FieldError `json:"warnings"`
}

func (s *Server) publishTool(c *gin.Context) error {
	p := who(c)
	t, err := s.store.ToolGet(c.Request.Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "tool")
	}
	report, err := s.validateDraft(c, t)
	if err != nil {
		return err
	}
	if !report.Valid {
		return validationFailed("the tool has errors and cannot be published", report.Errors)
	}
	v, err := s.store.ToolPublish(c.Request.Context(), p.WorkspaceID, t.ID, s.now().UTC())
	if err != nil {
		return notFoundAs(err, "tool")
	}
	s.toolsChanged(p.WorkspaceID)
	c.JSON(http.StatusOK, publishView{ID: t.ID, Status: store.ToolStatusPublished, Version: v.Version, PublishedAt: v.PublishedAt, Warnings: report.Warnings})
	return nil
}

func (s *Server) listToolVersions(c *gin.Context) error {
	p := who(c)
	t, err := s.store.ToolGet(c.Request.Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "tool")
	}
	versions, err := s.store.ToolVersionList(c.Request.Context(), p.WorkspaceID, t.ID)
	if err != nil {
		return err
	}
	out := listResponse[toolVersionView]{Items: make([]toolVersionView, 0, len(versions))}
	for _, v := range versions {
		tv := toolVersionView{Version: v.Version, PublishedAt: v.PublishedAt}
		_ = json.Unmarshal(v.Definition, &tv.Definition)
		out.Items = append(out.Items, tv)
	}
	c.JSON(http.StatusOK, out)
	return nil
}

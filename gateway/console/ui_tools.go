package console

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/tools"
)

// uiToolExample prefills the register form.
const uiToolExample = `{
  "name": "get_order",
  "description": "Look up an order's status and ETA. Call only after the caller has given the order id.",
  "method": "GET",
  "url": "https://api.example.com/orders/{{args.order_id}}",
  "input_schema": {
    "type": "object",
    "properties": {"order_id": {"type": "string", "description": "The order id, e.g. A-1001"}},
    "required": ["order_id"]
  }
}`

// uiToolsData is the tools page's content.
type uiToolsData struct {
	Tools   []admin.Tool
	Example string
	Deleted bool
}

func (u *Console) uiTools(c *gin.Context) error {
	ts, err := u.Admin.Tools.List(c.Request.Context(), httpapi.Who(c).WorkspaceID, everything)
	if err != nil {
		return err
	}
	views := ts.Items
	slices.SortFunc(views, func(a, b admin.Tool) int { return strings.Compare(a.Name, b.Name) })
	u.uiRender(c, http.StatusOK, "tools", uiPage{Title: "Tools", Nav: "tools", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true,
		Data: uiToolsData{Tools: views, Example: uiToolExample, Deleted: c.Query("deleted") != ""}})
	return nil
}

// formJSON reads a form field that must hold a JSON object.
func formJSON(c *gin.Context, field string) (json.RawMessage, error) {
	raw := json.RawMessage(uiFormValue(c, field))
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return nil, &problem.Error{Kind: problem.BadRequest, Message: field + " must be a JSON object",
			Details: map[string]string{field: "not a JSON object"}}
	}
	return raw, nil
}

// uiCreateTool registers a tool.
func (u *Console) uiCreateTool(c *gin.Context) error {
	def, err := formJSON(c, "definition")
	if err != nil {
		return err
	}
	v, err := u.Admin.Tools.Create(c.Request.Context(), httpapi.Who(c).WorkspaceID, def)
	if err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/tools/"+url.PathEscape(v.ID))
	return nil
}

// uiUpdateTool replaces a tool's draft with the edited definition (as a
// merge patch that also removes the fields the edit dropped).
func (u *Console) uiUpdateTool(c *gin.Context) error {
	ws := httpapi.Who(c).WorkspaceID
	current, err := u.Admin.Tools.VersionDefinition(c.Request.Context(), ws, c.Param("id"), 0)
	if err != nil {
		return err
	}
	def, err := formJSON(c, "definition")
	if err != nil {
		return err
	}
	var next, fields map[string]json.RawMessage
	if err := json.Unmarshal(def, &next); err != nil {
		return problem.BadRequestf("", "definition must be a JSON object")
	}
	_ = json.Unmarshal(current, &fields)
	for k := range fields {
		if _, ok := next[k]; !ok {
			next[k] = json.RawMessage("null")
		}
	}
	patch, err := json.Marshal(next)
	if err != nil {
		return err
	}
	t, err := u.Admin.Tools.Patch(c.Request.Context(), ws, c.Param("id"), patch)
	if err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/tools/"+url.PathEscape(t.ID)+"?saved=1")
	return nil
}

// uiPublishTool publishes a tool's draft.
func (u *Console) uiPublishTool(c *gin.Context) error {
	v, err := u.Admin.Tools.Publish(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/tools/"+url.PathEscape(v.ID)+"?published="+strconv.Itoa(v.Version))
	return nil
}

// uiTry is the outcome of the "Try it" panel.
type uiTry struct {
	Arguments string
	Result    *tools.Result
	Request   *uiExchange
	Output    string
}

// uiTryTool runs the tool's draft: a dry run shows the rendered request
// here, a send shows the new run.
func (u *Console) uiTryTool(c *gin.Context) error {
	args := uiFormValue(c, "arguments")
	if args == "" {
		args = "{}"
	}
	if !json.Valid([]byte(args)) {
		return errNotJSON
	}
	dry := c.PostForm("mode") != "send"
	res, err := u.Admin.Runs.Test(c.Request.Context(), &invoke.TestRequest{WorkspaceID: httpapi.Who(c).WorkspaceID,
		ToolID: c.Param("id"), Arguments: json.RawMessage(args), Context: map[string]any{}, DryRun: dry})
	if err != nil {
		return err
	}
	if !dry && res.RunID != "" {
		c.Redirect(http.StatusSeeOther, "/ui/runs/"+url.PathEscape(res.RunID))
		return nil
	}
	try := &uiTry{Arguments: args, Result: res}
	if res.Request != nil {
		try.Request = &uiExchange{Method: res.Request.Method, URL: res.Request.URL, Headers: sortedHeaders(res.Request.Headers), Body: prettyBody(res.Request.Body)}
	}
	out, _ := json.MarshalIndent(struct {
		Outcome string           `json:"outcome"`
		Error   *tools.CallError `json:"error,omitempty"`
	}{res.Outcome, res.Error}, "", "  ")
	try.Output = string(out)
	return u.renderTool(c, try)
}

// uiField is one property of an input schema, shown like a form field.
type uiField struct {
	Name, Type, Description, Format, Default string
	Required                                 bool
	Enum                                     []string
	Children                                 []uiField
}

// uiVersion is one published version of a tool.
type uiVersion struct {
	Version     int
	PublishedAt time.Time
}

// uiToolData is a tool's page content.
type uiToolData struct {
	Tool       admin.Tool
	Definition string
	Fields     []uiField
	Report     *tools.Report
	Versions   []uiVersion
	// DiffA and DiffB are the compared versions (0 is the draft).
	DiffA, DiffB int
	Diff         []diffLine
	DiffShown    bool
	Try          *uiTry
	TryArgs      string
	Published    string
	Saved        bool
}

func (u *Console) uiTool(c *gin.Context) error { return u.renderTool(c, nil) }

func (u *Console) renderTool(c *gin.Context, try *uiTry) error {
	ctx, ws, id := c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id")
	view, err := u.Admin.Tools.Get(ctx, ws, id)
	if err != nil {
		return err
	}
	draft, err := u.Admin.Tools.VersionDefinition(ctx, ws, id, 0)
	if err != nil {
		return err
	}
	report, err := u.Admin.Tools.Validate(ctx, ws, id)
	if err != nil {
		return err
	}
	versions, err := u.Admin.Tools.Versions(ctx, ws, id)
	if err != nil {
		return err
	}
	data := uiToolData{Tool: *view, Definition: prettyJSON(draft), Fields: schemaFields(view.InputSchema),
		Report: report, Try: try, Published: c.Query("published"), Saved: c.Query("saved") != ""}
	for _, v := range versions {
		data.Versions = append(data.Versions, uiVersion{Version: v.Version, PublishedAt: v.PublishedAt})
	}
	slices.SortFunc(data.Versions, func(a, b uiVersion) int { return b.Version - a.Version })
	data.TryArgs = exampleArguments(view.InputSchema)
	if try != nil {
		data.TryArgs = try.Arguments
	}
	if a, b := c.Query("a"), c.Query("b"); a != "" && b != "" {
		if err := u.toolDiff(c, ws, id, a, b, &data); err != nil {
			return err
		}
	} else if len(data.Versions) > 0 {
		data.DiffA, data.DiffB = data.Versions[0].Version, 0
	}
	u.uiRender(c, http.StatusOK, "tool", uiPage{Title: "Tool " + view.Name, Nav: "tools", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// toolDiff diffs two versions of a tool (0 is the draft).
func (u *Console) toolDiff(c *gin.Context, workspaceID, toolID, a, b string, data *uiToolData) error {
	def := func(v string) (int, string, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, "", problem.BadRequestf("", "versions to compare must be numbers (0 is the draft)")
		}
		raw, err := u.Admin.Tools.VersionDefinition(c.Request.Context(), workspaceID, toolID, n)
		if problem.Is(err, problem.NotFound) {
			return 0, "", problem.NotFoundf(fmt.Sprintf("version %d", n))
		}
		if err != nil {
			return 0, "", err
		}
		return n, canonicalJSON(raw), nil
	}
	va, da, err := def(a)
	if err != nil {
		return err
	}
	vb, db, err := def(b)
	if err != nil {
		return err
	}
	data.DiffA, data.DiffB, data.Diff, data.DiffShown = va, vb, lineDiff(da, db), true
	return nil
}

// schemaFields lists an input schema's properties for the preview.
func schemaFields(raw json.RawMessage) []uiField {
	var sch map[string]any
	if json.Unmarshal(raw, &sch) != nil {
		return nil
	}
	return objectFields(sch, 0)
}

func objectFields(sch map[string]any, depth int) []uiField {
	props, _ := sch["properties"].(map[string]any)
	if len(props) == 0 || depth > 4 {
		return nil
	}
	required := map[string]bool{}
	if req, ok := sch["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				required[name] = true
			}
		}
	}
	var out []uiField
	for _, name := range slices.Sorted(maps.Keys(props)) {
		prop, _ := props[name].(map[string]any)
		f := uiField{Name: name, Required: required[name]}
		f.Type = schemaType(prop)
		f.Description, _ = prop["description"].(string)
		f.Format, _ = prop["format"].(string)
		if d, ok := prop["default"]; ok {
			b, _ := json.Marshal(d)
			f.Default = string(b)
		}
		if enum, ok := prop["enum"].([]any); ok {
			for _, e := range enum {
				b, _ := json.Marshal(e)
				f.Enum = append(f.Enum, string(b))
			}
		}
		if f.Type == "object" {
			f.Children = objectFields(prop, depth+1)
		}
		if items, ok := prop["items"].(map[string]any); ok && f.Type == "array" {
			f.Type = "array of " + schemaType(items)
			f.Children = objectFields(items, depth+1)
		}
		out = append(out, f)
	}
	// Required fields first, as a form would ask for them.
	slices.SortStableFunc(out, func(a, b uiField) int {
		switch {
		case a.Required && !b.Required:
			return -1
		case !a.Required && b.Required:
			return 1
		}
		return 0
	})
	return out
}

func schemaType(prop map[string]any) string {
	switch t := prop["type"].(type) {
	case string:
		return t
	case []any:
		b, _ := json.Marshal(t)
		return string(b)
	}
	if _, ok := prop["properties"]; ok {
		return "object"
	}
	return "any"
}

// exampleArguments prefills the "Try it" panel with the required
// properties of the schema.
func exampleArguments(raw json.RawMessage) string {
	var sch map[string]any
	if json.Unmarshal(raw, &sch) != nil {
		return "{}"
	}
	args := map[string]any{}
	for _, f := range objectFields(sch, 0) {
		if !f.Required {
			continue
		}
		switch f.Type {
		case "integer", "number":
			args[f.Name] = 0
		case "boolean":
			args[f.Name] = false
		case "object":
			args[f.Name] = map[string]any{}
		default:
			args[f.Name] = ""
		}
	}
	b, _ := json.MarshalIndent(args, "", "  ")
	return string(b)
}

// canonicalJSON pretty-prints a document with its object keys sorted, so
// that a diff shows changes rather than reorderings.
func canonicalJSON(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if enc.Encode(v) != nil {
		return string(raw)
	}
	return buf.String()
}

package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Imports are the use cases that make draft tools from API descriptions:
// POST /v1/admin/imports/openapi.
//
// An import never makes a live tool: it writes drafts (and the connection
// they call through), which the admin validates and publishes. Importing
// the same document again through the same connection updates the drafts
// of the operations it imported before, matched by the origin each draft
// records (tools.Origin: the operationId, or method and path when the
// operation has none). An updated draft keeps its name (agents activate
// tools by name) and every field the import does not write (timeout_ms,
// background, response, retry...); its published versions never change.
type Imports struct {
	d *deps
	// running bounds the imports in progress: each holds a document of up
	// to openapi.MaxDocumentBytes and its parsed form.
	running chan struct{}
}

// Bounds of an import.
const (
	// ImportsConcurrentMax is how many imports one gateway runs at once;
	// another is refused with 429 until one ends.
	ImportsConcurrentMax = 2
	// ImportTimeout bounds an import, fetching its URL and writing its
	// drafts included.
	ImportTimeout = 2 * time.Minute
	// ImportFetchTimeout bounds fetching the document of an import by URL.
	ImportFetchTimeout = 30 * time.Second
	// ImportIncludeMax bounds each filter of an import's include (GitHub's
	// description has 1,223 operations).
	ImportIncludeMax = 5000
)

// Actions an import reports for the connection and each tool.
const (
	ImportCreated   = "created"
	ImportUpdated   = "updated"
	ImportUnchanged = "unchanged"
	ImportReused    = "reused"
)

// ImportOpenAPIRequest is an OpenAPI import: the document (Spec, or URL to
// fetch it from), the connection the tools call through and which
// operations to import.
type ImportOpenAPIRequest struct {
	// Spec is the document: a JSON object, or its JSON or YAML text as a
	// JSON string. Exclusive with URL.
	Spec json.RawMessage `json:"spec,omitempty"`
	// URL is where the document is fetched from, through the egress guard
	// (private addresses refused unless allowed, ImportFetchTimeout, at
	// most openapi.MaxDocumentBytes). Exclusive with Spec.
	URL string `json:"url,omitempty"`
	// Connection names the connection the tools call through: reused when
	// it exists (left unchanged), created otherwise.
	Connection ImportConnection `json:"connection,omitzero"`
	// Include selects operations; no filter imports them all.
	Include openapi.Include `json:"include,omitzero"`
	// NamePrefix is put before every new tool's name ("gh_").
	NamePrefix string `json:"name_prefix,omitempty"`
	// DryRun writes nothing and answers the same report.
	DryRun bool `json:"dry_run,omitempty"`
}

// ImportConnection is the connection of an import request.
type ImportConnection struct {
	// Name defaults to the document's title made a name ("GitHub v3 REST
	// API" → "github-v3-rest-api").
	Name string `json:"name,omitempty"`
	// BaseURL defaults to the document's first server (resolved against
	// URL when the server is relative). Used only when the connection is
	// created.
	BaseURL string `json:"base_url,omitempty"`
}

// ImportReport is what an import did, or would do in a dry run.
type ImportReport struct {
	DryRun bool `json:"dry_run"`
	// Document is the imported document's title and version.
	Document   ImportDocument         `json:"document"`
	Connection ImportReportConnection `json:"connection"`
	// Tools are the imported operations, in the document's order.
	Tools []ImportReportTool `json:"tools"`
	// Skipped are the selected operations that were not imported, and why.
	Skipped []openapi.Skipped `json:"skipped"`
	Summary ImportSummary     `json:"summary"`
	// Warnings concern the document as a whole.
	Warnings []openapi.FieldWarning `json:"warnings"`
}

// ImportDocument describes the imported document.
type ImportDocument struct {
	Title string `json:"title"`
	// Version is the OpenAPI version the document declares ("2.0" for
	// Swagger).
	Version string `json:"openapi"`
}

// ImportReportConnection is the connection the imported tools call
// through. Its secrets are never set by an import.
type ImportReportConnection struct {
	// ID is "" in a dry run that would create the connection.
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	BaseURL string     `json:"base_url"`
	Auth    tools.Auth `json:"auth"`
	// Action is "created" or "reused".
	Action string `json:"action"`
	// Warnings say what the admin must still set (secrets, an OAuth2
	// client ID, a basic-auth username) and where the document and an
	// existing connection differ.
	Warnings []openapi.FieldWarning `json:"warnings"`
}

// ImportReportTool is one imported operation and the draft it made.
type ImportReportTool struct {
	// ID is "" in a dry run that would create the tool.
	ID          string `json:"id"`
	Name        string `json:"name"`
	OperationID string `json:"operation_id"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	// Status is "draft": an import writes drafts only.
	Status string `json:"status"`
	// Action is "created", "updated" or "unchanged".
	Action string `json:"action"`
	// Valid reports whether the draft passes validation; when it does not,
	// Warnings say why (as "invalid: ...").
	Valid bool `json:"valid"`
	// PublishedVersion is the tool's latest published version, which the
	// import left as it was (0: never published).
	PublishedVersion int                    `json:"published_version,omitempty"`
	Warnings         []openapi.FieldWarning `json:"warnings"`
}

// ImportSummary counts the selected operations, what was imported and
// skipped, and what the import did with the drafts.
type ImportSummary struct {
	Operations int `json:"operations"`
	Imported   int `json:"imported"`
	Skipped    int `json:"skipped"`
	Created    int `json:"created"`
	Updated    int `json:"updated"`
	Unchanged  int `json:"unchanged"`
}

// OpenAPI imports an OpenAPI 3.0.x, 3.1.x or Swagger 2.0 document's
// operations as draft tools of the workspace. A document that cannot be
// read is Invalid with type invalid_document and the place in its details
// (line and column, or JSON pointer); an unusable option is Invalid naming
// the request field.
func (s *Imports) OpenAPI(ctx context.Context, workspaceID string, req *ImportOpenAPIRequest) (*ImportReport, error) {
	select {
	case s.running <- struct{}{}:
		defer func() { <-s.running }()
	default:
		return nil, &problem.Error{Kind: problem.TooManyRequests,
			Message: fmt.Sprintf("%d imports are running in this gateway; retry when one is done", ImportsConcurrentMax)}
	}
	ctx, cancel := context.WithTimeout(ctx, ImportTimeout)
	defer cancel()

	for _, f := range []struct {
		field string
		list  []string
	}{{"include.operations", req.Include.Operations}, {"include.tags", req.Include.Tags}, {"include.methods", req.Include.Methods}} {
		if len(f.list) > ImportIncludeMax {
			return nil, requestInvalid(f.field, "lists %d values; at most %d are accepted", len(f.list), ImportIncludeMax)
		}
	}
	data, err := s.document(ctx, req)
	if err != nil {
		return nil, err
	}
	doc, err := openapi.Parse(data)
	if err != nil {
		return nil, importError(err)
	}
	connName := req.Connection.Name
	if connName == "" {
		connName = doc.ConnectionName()
	}
	if !tools.ValidName(connName) {
		return nil, importError(&openapi.OptionError{Field: "connection.name", Message: "must match ^[a-zA-Z0-9_-]{1,64}$"})
	}
	existing, err := s.existing(ctx, workspaceID, connName)
	if err != nil {
		return nil, err
	}
	res, err := openapi.Convert(doc, openapi.Options{
		Include:        req.Include,
		NamePrefix:     req.NamePrefix,
		ConnectionName: connName,
		BaseURL:        req.Connection.BaseURL,
		ExistingNames:  existing.takenByOthers,
	})
	if err != nil {
		return nil, importError(err)
	}
	if err := ctx.Err(); err != nil {
		return nil, importTimeout(err)
	}
	report := &ImportReport{
		DryRun:   req.DryRun,
		Document: ImportDocument{Title: doc.Title(), Version: doc.Version()},
		Tools:    make([]ImportReportTool, 0, len(res.Tools)),
		Skipped:  res.Skipped,
		Warnings: res.Warnings,
		Summary:  ImportSummary{Operations: res.Summary.Operations, Imported: res.Summary.Imported, Skipped: res.Summary.Skipped},
	}
	conn, err := s.connection(workspaceID, req, &res.Connection, existing.connection)
	if err != nil {
		return nil, err
	}
	batch := s.drafts(workspaceID, res.Tools, existing, report)
	if req.DryRun {
		report.Connection = conn.report
		return report, nil
	}
	if conn.create != nil {
		if err := s.d.store.ConnectionInsert(ctx, conn.create); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return nil, problem.Conflictf("connection %q was created by another request during the import; import again", connName)
			}
			return nil, err
		}
		conn.report.ID = conn.create.ID
		s.d.notify(ctx, workspaceID, changes.Connections, conn.create.ID)
	}
	report.Connection = conn.report
	if err := s.d.store.ToolWriteBatch(ctx, batch); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			return nil, problem.Conflictf("the workspace's tools changed during the import; import again")
		}
		if ctx.Err() != nil {
			return nil, importTimeout(ctx.Err())
		}
		return nil, err
	}
	if len(batch.Insert)+len(batch.Update) > 0 {
		s.d.notify(ctx, workspaceID, changes.Tools, "")
	}
	return report, nil
}

// importError turns the errors of package openapi into problems.
func importError(err error) error {
	var de *openapi.DocumentError
	var oe *openapi.OptionError
	switch {
	case errors.As(err, &de):
		return &problem.Error{Kind: problem.Invalid, Type: "invalid_document",
			Message: "the document cannot be read: " + de.Error(), Details: de}
	case errors.As(err, &oe):
		return problem.Invalidf([]tools.FieldError{{Path: oe.Field, Message: oe.Message}}, "the import request is invalid")
	}
	return err
}

func importTimeout(err error) error {
	return &problem.Error{Kind: problem.Unavailable, Message: fmt.Sprintf("the import took longer than %v and was stopped; nothing was written", ImportTimeout), Err: err}
}

// requestInvalid is an Invalid problem about one field of the request.
func requestInvalid(field, format string, args ...any) error {
	return problem.Invalidf([]tools.FieldError{{Path: field, Message: fmt.Sprintf(format, args...)}}, "the import request is invalid")
}

// document returns the bytes of the request's document: spec (an object,
// or a string holding JSON or YAML) or what url answers.
func (s *Imports) document(ctx context.Context, req *ImportOpenAPIRequest) ([]byte, error) {
	spec := bytes.TrimSpace(req.Spec)
	hasSpec := len(spec) > 0 && string(spec) != "null"
	switch {
	case hasSpec && req.URL != "":
		return nil, requestInvalid("spec", "give either spec or url, not both")
	case !hasSpec && req.URL == "":
		return nil, requestInvalid("spec", "is required: the OpenAPI document as an object or a JSON or YAML string (or give url)")
	case req.URL != "":
		return s.fetch(ctx, req.URL)
	}
	switch spec[0] {
	case '{':
		return spec, nil
	case '"':
		var text string
		if err := json.Unmarshal(spec, &text); err != nil {
			return nil, requestInvalid("spec", "is not a valid JSON string")
		}
		return []byte(text), nil
	}
	return nil, requestInvalid("spec", "must be the OpenAPI document as an object, or its JSON or YAML text as a string")
}

// existingTools is what the workspace holds before an import.
type existingTools struct {
	connection *store.Connection // nil when the connection does not exist
	// byOrigin are the tools an earlier import made through the connection,
	// by tools.Origin.Key.
	byOrigin map[string]*store.Tool
	// names are every tool's name; importedNames those of byOrigin.
	names, importedNames map[string]bool
}

// takenByOthers reports whether a tool name is taken by a tool that is not
// an earlier import through the same connection, whose names the import
// may give to the operations they came from (openapi.Options.ExistingNames).
func (e *existingTools) takenByOthers(name string) bool {
	return e.names[name] && !e.importedNames[name]
}

// existing loads the connection and the workspace's tools.
func (s *Imports) existing(ctx context.Context, workspaceID, connName string) (*existingTools, error) {
	e := &existingTools{byOrigin: map[string]*store.Tool{}, names: map[string]bool{}, importedNames: map[string]bool{}}
	conn, err := s.d.store.ConnectionGetByName(ctx, workspaceID, connName)
	switch {
	case err == nil:
		e.connection = conn
	case !isNotFound(err):
		return nil, err
	}
	p := store.ListParams{Limit: store.ListLimitMax}
	for {
		page, err := s.d.store.ToolList(ctx, workspaceID, p)
		if err != nil {
			return nil, err
		}
		for _, t := range page {
			e.names[t.Name] = true
			var def struct {
				Connection string        `json:"connection"`
				Origin     *tools.Origin `json:"origin"`
			}
			if json.Unmarshal(t.Definition, &def) != nil || def.Origin == nil || def.Connection != connName {
				continue
			}
			key := def.Origin.Key()
			if _, dup := e.byOrigin[key]; !dup { // the oldest tool of an operation wins
				e.byOrigin[key] = t
				e.importedNames[t.Name] = true
			}
		}
		if len(page) < p.Limit {
			return e, nil
		}
		p.Cursor = page[len(page)-1].ID
	}
}

// drafts turns the converted tools into the batch that writes them,
// filling in the report's tools and counts.
//
// A tool an earlier import made of the same operation is updated: it keeps
// its name and the fields the import does not write. A new tool takes the
// converted name unless a tool of the workspace (or of this import) holds
// it already, when it gets _2, _3...
func (s *Imports) drafts(workspaceID string, converted []openapi.ImportedTool, e *existingTools, report *ImportReport) *store.ToolBatch {
	now := s.d.now().UTC()
	batch := &store.ToolBatch{WorkspaceID: workspaceID}
	taken := map[string]bool{}
	for name := range e.names {
		taken[name] = true
	}
	// Matched first, so that a new tool never takes the name of a matched
	// one. A tool matches one operation at most (a document may repeat an
	// operationId).
	matched := make([]*store.Tool, len(converted))
	used := map[string]bool{}
	for i := range converted {
		it := &converted[i]
		origin := &tools.Origin{OperationID: it.OperationID, Method: it.Method, Path: it.Path}
		it.Definition.Origin = origin
		if old := e.byOrigin[origin.Key()]; old != nil && !used[old.ID] {
			matched[i], used[old.ID] = old, true
		}
	}
	for i := range converted {
		it := &converted[i]
		rt := ImportReportTool{OperationID: it.OperationID, Method: it.Method, Path: it.Path,
			Status: store.ToolStatusDraft, Valid: it.Valid, Warnings: it.Warnings}
		if old := matched[i]; old != nil {
			rt.ID, rt.Name, rt.PublishedVersion = old.ID, old.Name, old.Version
			def, changed := mergeImported(old.Definition, &it.Definition, old.Name)
			rt.Action = ImportUnchanged
			if changed {
				rt.Action = ImportUpdated
				upd := *old
				upd.Definition, upd.UpdatedAt = def, now
				batch.Update = append(batch.Update, &upd)
			}
		} else {
			def := it.Definition
			def.Name = uniqueName(def.Name, taken)
			taken[def.Name] = true
			if def.TimeoutMS == 0 {
				def.TimeoutMS = tools.TimeoutMSDefault
			}
			raw, err := json.Marshal(&def)
			if err != nil { // a Definition always marshals
				panic(err)
			}
			t := &store.Tool{ID: store.NewID(), WorkspaceID: workspaceID, Name: def.Name, Definition: raw,
				Status: store.ToolStatusDraft, CreatedAt: now, UpdatedAt: now}
			rt.Name, rt.Action = def.Name, ImportCreated
			if !report.DryRun {
				rt.ID = t.ID
			}
			batch.Insert = append(batch.Insert, t)
		}
		switch rt.Action {
		case ImportCreated:
			report.Summary.Created++
		case ImportUpdated:
			report.Summary.Updated++
		default:
			report.Summary.Unchanged++
		}
		report.Tools = append(report.Tools, rt)
	}
	return batch
}

// mergeImported writes an operation's converted definition over the draft
// an earlier import made of it: the import's fields are replaced, the name
// and every other field (timeout, background, shaping, retries...) kept.
// changed reports whether the draft differs from before.
func mergeImported(current json.RawMessage, imported *tools.Definition, name string) (json.RawMessage, bool) {
	var def tools.Definition
	if err := json.Unmarshal(current, &def); err != nil {
		def = tools.Definition{TimeoutMS: tools.TimeoutMSDefault}
	}
	before, _ := json.Marshal(&def)
	def.Name = name
	def.Description = imported.Description
	def.Method = imported.Method
	def.URL = ""
	def.Connection = imported.Connection
	def.Path = imported.Path
	def.Headers = imported.Headers
	def.Query = imported.Query
	def.Body = imported.Body
	def.InputSchema = imported.InputSchema
	def.OutputSchema = imported.OutputSchema
	def.Origin = imported.Origin
	after, err := json.Marshal(&def)
	if err != nil { // a Definition always marshals
		panic(err)
	}
	return after, !sameJSON(before, after)
}

// sameJSON reports whether two JSON documents hold the same values,
// whatever the order of their objects' members (a draft patched through
// the API has its schemas' members sorted).
func sameJSON(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	decode := func(data []byte) (any, bool) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		return v, dec.Decode(&v) == nil
	}
	va, okA := decode(a)
	vb, okB := decode(b)
	return okA && okB && reflect.DeepEqual(va, vb)
}

// uniqueName returns name, or name with _2, _3... (cut to fit 64
// characters) when taken holds it.
func uniqueName(name string, taken map[string]bool) string {
	if !taken[name] {
		return name
	}
	for i := 2; ; i++ {
		suffix := "_" + strconv.Itoa(i)
		base := name
		if len(base)+len(suffix) > 64 {
			base = base[:64-len(suffix)]
		}
		if candidate := base + suffix; !taken[candidate] {
			return candidate
		}
	}
}

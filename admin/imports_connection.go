package admin

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"

	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// importConnection is the connection of an import: reused, or to create.
type importConnection struct {
	report ImportReportConnection
	// create is the connection to insert; nil when it exists.
	create *store.Connection
}

// connection plans the connection of an import.
//
// An existing connection is reused as it is; the report warns where the
// document suggests another base URL or auth, and names the secrets and
// settings it still lacks.
//
// A new connection takes the request's base URL, else the document's first
// server (a relative one resolved against the URL the document was fetched
// from), and the auth of the document's security scheme. Its secrets are
// never set, and the settings a document does not hold (an OAuth2 client
// ID, a basic-auth username, a token URL the document gives relative) are
// left unset: the connection is stored incomplete, with a warning for each,
// and its auth refuses calls (auth_error) until the admin sets them; a
// PATCH must complete them. The tools are importable meanwhile.
func (s *Imports) connection(workspaceID string, req *ImportOpenAPIRequest, spec *openapi.ConnectionSpec, existing *store.Connection) (*importConnection, error) {
	if req.URL != "" && spec.BaseURL != "" && !tools.IsHTTPURL(spec.BaseURL) && req.Connection.BaseURL == "" {
		// OpenAPI: a relative server URL is relative to the document.
		if base, err := url.Parse(req.URL); err == nil {
			if u, err := base.Parse(spec.BaseURL); err == nil && tools.ValidateBaseURL(u.String()) == nil {
				spec.BaseURL = u.String()
				spec.Warnings = slices.DeleteFunc(spec.Warnings, func(w openapi.FieldWarning) bool { return w.Path == "base_url" })
			}
		}
	}
	if existing != nil {
		return s.reuseConnection(req, spec, existing)
	}
	c := &importConnection{report: ImportReportConnection{Name: spec.Name, BaseURL: spec.BaseURL, Auth: spec.Auth,
		Action: ImportCreated, Warnings: spec.Warnings}}
	if req.DryRun {
		return c, nil
	}
	if err := tools.ValidateBaseURL(spec.BaseURL); err != nil {
		msg := "the document names no absolute server URL: give the connection's base URL"
		if spec.BaseURL != "" {
			msg = fmt.Sprintf("the document's server URL %q is not an absolute http or https URL: give the connection's base URL", spec.BaseURL)
		}
		return nil, requestInvalid("connection.base_url", "%s", msg)
	}
	auth := spec.Auth
	// The settings the import asks the admin to set may be missing; any
	// other problem would be a converter bug.
	toSet := map[string]bool{}
	for _, w := range spec.Warnings {
		toSet[w.Path] = true
	}
	var errs []tools.FieldError
	for _, e := range validateConnection(&ConnectionInput{Name: spec.Name, BaseURL: spec.BaseURL, Auth: &auth}) {
		if !toSet[e.Path] {
			e.Path = "connection." + e.Path
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, problem.Invalidf(errs, "the connection the document describes is invalid")
	}
	now := s.d.now().UTC()
	conn := &store.Connection{ID: store.NewID(), WorkspaceID: workspaceID, Name: spec.Name, BaseURL: spec.BaseURL,
		CreatedAt: now, UpdatedAt: now}
	if err := (&Connections{s.d}).applyAuthAndSecrets(conn, &ConnectionInput{Auth: &auth}, map[string]string{}); err != nil {
		return nil, err
	}
	c.create = conn
	return c, nil
}

// reuseConnection reports an existing connection and what it lacks.
func (s *Imports) reuseConnection(req *ImportOpenAPIRequest, spec *openapi.ConnectionSpec, conn *store.Connection) (*importConnection, error) {
	var auth tools.Auth
	if len(conn.Auth) > 0 {
		if err := json.Unmarshal(conn.Auth, &auth); err != nil {
			return nil, fmt.Errorf("decoding auth of connection %s: %w", conn.ID, err)
		}
	}
	if auth.Type == "" {
		auth.Type = tools.AuthNone
	}
	c := &importConnection{report: ImportReportConnection{ID: conn.ID, Name: conn.Name, BaseURL: conn.BaseURL, Auth: auth,
		Action: ImportReused, Warnings: []openapi.FieldWarning{}}}
	warn := func(path, format string, args ...any) {
		c.report.Warnings = append(c.report.Warnings, openapi.FieldWarning{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case req.Connection.BaseURL != "" && req.Connection.BaseURL != conn.BaseURL:
		warn("base_url", "the connection exists with base URL %s and was left unchanged; PATCH it to use %s", conn.BaseURL, req.Connection.BaseURL)
	case req.Connection.BaseURL == "" && tools.IsHTTPURL(spec.BaseURL) && spec.BaseURL != conn.BaseURL:
		warn("base_url", "the connection exists with base URL %s and was left unchanged; the document's server is %s", conn.BaseURL, spec.BaseURL)
	}
	if spec.Auth.Type != tools.AuthNone && spec.Auth.Type != auth.Type {
		warn("auth", "the connection authenticates with %s and was left unchanged; the document's security scheme is %s", auth.Type, spec.Auth.Type)
	}
	for _, e := range auth.Validate("auth") {
		warn(e.Path, "%s", e.Message)
	}
	plain, err := tools.OpenSecrets(s.d.box, conn)
	if err != nil {
		return nil, err
	}
	for _, name := range auth.SecretNames() {
		if plain[name] == "" {
			warn("secrets."+name, "set the %s secret", name)
		}
	}
	return c, nil
}

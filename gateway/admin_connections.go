package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// connectionRequest is the body of POST and (as a merge patch) PATCH
// /v1/admin/connections. Secrets are write-only: a null value deletes one.
type connectionRequest struct {
	Name    string             `json:"name"`
	BaseURL string             `json:"base_url"`
	Headers map[string]string  `json:"headers,omitempty"`
	Config  json.RawMessage    `json:"config,omitempty"`
	Auth    *tools.Auth        `json:"auth,omitempty"`
	Secrets map[string]*string `json:"secrets,omitempty"`
}

type secretState struct {
	Set bool `json:"set"`
}

type connectionView struct {
	ID      string                 `json:"id"`
	Name    string                 `json:"name"`
	BaseURL string                 `json:"base_url"`
	Headers map[string]string      `json:"headers"`
	Config  json.RawMessage        `json:"config"`
	Auth    json.RawMessage        `json:"auth"`
	Secrets map[string]secretState `json:"secrets"`
	// OAuth is the token status of an OAuth2 connection (never a token).
	OAuth     *oauth.Status `json:"oauth,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

func (s *Server) viewConnection(ctx context.Context, conn *store.Connection) (connectionView, error) {
	secretsPlain, err := tools.OpenSecrets(s.box, conn)
	if err != nil {
		return connectionView{}, err
	}
	v := connectionView{
		ID: conn.ID, Name: conn.Name, BaseURL: conn.BaseURL, Headers: conn.Headers,
		Config: conn.Config, Auth: conn.Auth, Secrets: map[string]secretState{},
		CreatedAt: conn.CreatedAt, UpdatedAt: conn.UpdatedAt,
	}
	if v.Headers == nil {
		v.Headers = map[string]string{}
	}
	if len(v.Config) == 0 {
		v.Config = json.RawMessage("{}")
	}
	if len(v.Auth) == 0 {
		v.Auth = json.RawMessage(`{"type":"none"}`)
	}
	for name := range secretsPlain {
		v.Secrets[name] = secretState{Set: true}
	}
	var auth tools.Auth
	_ = json.Unmarshal(conn.Auth, &auth)
	for _, name := range auth.SecretNames() {
		if _, ok := v.Secrets[name]; !ok {
			v.Secrets[name] = secretState{Set: false}
		}
	}
	if v.OAuth, err = s.oauthStatus(ctx, conn); err != nil {
		return connectionView{}, err
	}
	return v, nil
}

// validateConnection checks a request and returns the field errors.
func validateConnection(req *connectionRequest) []tools.FieldError {
	var errs []tools.FieldError
	add := func(path, msg string) { errs = append(errs, tools.FieldError{Path: path, Message: msg}) }
	if !tools.ValidName(req.Name) {
		add("name", "must match ^[a-zA-Z0-9_-]{1,64}$")
	}
	if err := tools.ValidateBaseURL(req.BaseURL); err != nil {
		add("base_url", err.Error())
	}
	for _, name := range slices.Sorted(maps.Keys(req.Headers)) {
		errs = append(errs, tools.ValidateHeader("headers", name, req.Headers[name])...)
	}
	if len(req.Config) > 0 && !isJSONObject(req.Config) {
		add("config", "must be a JSON object")
	}
	if req.Auth != nil {
		errs = append(errs, req.Auth.Validate("auth")...)
	}
	for name := range req.Secrets {
		if !tools.ValidName(name) {
			add("secrets."+name, "secret names must match ^[a-zA-Z0-9_-]{1,64}$")
		}
	}
	return errs
}

func isJSONObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	var m map[string]any
	return json.Unmarshal(raw, &m) == nil
}

func (s *Server) createConnection(c *gin.Context) error {
	var req connectionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if errs := validateConnection(&req); len(errs) > 0 {
		return validationFailed("the connection is invalid", errs)
	}
	p := who(c)
	now := s.now().UTC()
	conn := &store.Connection{
		ID: store.NewID(), WorkspaceID: p.WorkspaceID, Name: req.Name, BaseURL: req.BaseURL,
		Headers: req.Headers, Config: req.Config, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.applyAuthAndSecrets(conn, &req, map[string]string{}); err != nil {
		return err
	}
	if err := s.store.ConnectionInsert(c.Request.Context(), conn); err != nil {
		return err
	}
	v, err := s.viewConnection(c.Request.Context(), conn)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, v)
	return nil
}

// applyAuthAndSecrets sets conn's auth from req and merges req's secrets
// into current before sealing them.
func (s *Server) applyAuthAndSecrets(conn *store.Connection, req *connectionRequest, current map[string]string) error {
	auth := req.Auth
	if auth == nil {
		auth = &tools.Auth{Type: tools.AuthNone}
	}
	if auth.Type == "" {
		auth.Type = tools.AuthNone
	}
	raw, err := json.Marshal(auth)
	if err != nil {
		return err
	}
	conn.Auth = raw
	for name, value := range req.Secrets {
		if value == nil {
			delete(current, name)
		} else {
			current[name] = *value
		}
	}
	return tools.SealSecrets(s.box, conn, current)
}

func (s *Server) getConnection(c *gin.Context) error {
	conn, err := s.store.ConnectionGet(c.Request.Context(), who(c).WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "connection")
	}
	v, err := s.viewConnection(c.Request.Context(), conn)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (s *Server) listConnections(c *gin.Context) error {
	lp, err := listParams(c)
	if err != nil {
		return err
	}
	conns, err := s.store.ConnectionList(c.Request.Context(), who(c).WorkspaceID, lp)
	if err != nil {
		return err
	}
	views := make([]connectionView, 0, len(conns))
	for _, conn := range conns {
		v, err := s.viewConnection(c.Request.Context(), conn)
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	c.JSON(http.StatusOK, page(views, lp, func(v connectionView) string { return v.ID }, func(v connectionView) connectionView { return v }))
	return nil
}

func (s *Server) patchConnection(c *gin.Context) error {
	p := who(c)
	conn, err := s.store.ConnectionGet(c.Request.Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "connection")
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var patch connectionRequest
	if err := unmarshalStrict(body, &patch); err != nil {
		return err
	}
	var patchDoc map[string]json.RawMessage
	if err := json.Unmarshal(body, &patchDoc); err != nil {
		return badRequest("the patch must be a JSON object", nil)
	}
	delete(patchDoc, "secrets")
	currentDoc, err := json.Marshal(connectionRequest{Name: conn.Name, BaseURL: conn.BaseURL, Headers: conn.Headers,
		Config: conn.Config, Auth: decodeAuth(conn.Auth)})
	if err != nil {
		return err
	}
	publicPatch, _ := json.Marshal(patchDoc)
	merged, err := mergePatch(currentDoc, publicPatch)
	if err != nil {
		return err
	}
	var req connectionRequest
	if err := unmarshalStrict(merged, &req); err != nil {
		return err
	}
	req.Secrets = patch.Secrets
	if errs := validateConnection(&req); len(errs) > 0 {
		return validationFailed("the connection is invalid", errs)
	}
	current, err := tools.OpenSecrets(s.box, conn)
	if err != nil {
		return err
	}
	prevAuth := slices.Clone(conn.Auth)
	conn.Name, conn.BaseURL, conn.Headers, conn.Config = req.Name, req.BaseURL, req.Headers, req.Config
	conn.UpdatedAt = s.now().UTC()
	if err := s.applyAuthAndSecrets(conn, &req, current); err != nil {
		return err
	}
	if err := s.store.ConnectionUpdate(c.Request.Context(), conn); err != nil {
		return notFoundAs(err, "connection")
	}
	s.catalog.Invalidate(conn.WorkspaceID)
	// Tokens issued under other OAuth settings or another client secret
	// must not outlive them.
	_, newSecret := patch.Secrets[tools.SecretClientSecret]
	if s.oauth != nil && (!bytes.Equal(prevAuth, conn.Auth) || newSecret) {
		if err := s.oauth.Forget(c.Request.Context(), conn.WorkspaceID, conn.ID); err != nil {
			return err
		}
	}
	v, err := s.viewConnection(c.Request.Context(), conn)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func decodeAuth(raw json.RawMessage) *tools.Auth {
	if len(raw) == 0 {
		return nil
	}
	var a tools.Auth
	if json.Unmarshal(raw, &a) != nil {
		return nil
	}
	return &a
}

func (s *Server) deleteConnection(c *gin.Context) error {
	if err := s.store.ConnectionDelete(c.Request.Context(), who(c).WorkspaceID, c.Param("id")); err != nil {
		return notFoundAs(err, "connection")
	}
	s.catalog.Invalidate(who(c).WorkspaceID)
	c.Status(http.StatusNoContent)
	return nil
}

// notFoundAs names the missing object in a store.ErrNotFound.
func notFoundAs(err error, what string) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound(what)
	}
	return err
}

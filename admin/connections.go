package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Connections are the use cases of connections (saved integrations) and
// their OAuth2 tokens.
type Connections struct{ d *deps }

// ConnectionInput is a connection as an admin writes it. Secrets are
// write-only: a nil value deletes one.
type ConnectionInput struct {
	Name    string             `json:"name" jsonschema_description:"The connection's name, which tools name in their connection field; unique in the workspace."`
	BaseURL string             `json:"base_url" jsonschema_description:"The URL tools' paths extend: absolute http or https, without user info or fragment."`
	Headers map[string]string  `json:"headers,omitempty" jsonschema_description:"Headers sent with every call (templates: {{conn.x}}, {{secret.x}}); a tool's own headers win."`
	Config  json.RawMessage    `json:"config,omitempty" jsonschema_description:"Public values tools read as {{conn.x}}."`
	Auth    *tools.Auth        `json:"auth,omitempty" jsonschema_description:"How calls authenticate upstream."`
	Secrets map[string]*string `json:"secrets,omitempty" jsonschema_description:"Write-only secret values ({{secret.x}}, and the credentials auth reads: token, api_key, password, client_secret), sealed at rest and never shown; null deletes one. In files, write ${ENV_VAR} references, never literal secrets."`
	// Limits protect the upstream from all the connection's tools at once.
	Limits []tools.Limit `json:"limits,omitempty" jsonschema_description:"Rate and concurrency limits shared by every tool of the connection, protecting the upstream from all of them at once."`
}

// SecretState says whether a write-only secret is set.
type SecretState struct {
	Set bool `json:"set"`
}

// Connection is a connection as the admin API shows it: never a secret's
// value.
type Connection struct {
	ID      string                 `json:"id"`
	Name    string                 `json:"name"`
	BaseURL string                 `json:"base_url"`
	Headers map[string]string      `json:"headers"`
	Config  json.RawMessage        `json:"config"`
	Auth    json.RawMessage        `json:"auth"`
	Secrets map[string]SecretState `json:"secrets"`
	Limits  []tools.Limit          `json:"limits"`
	// OAuth is the token status of an OAuth2 connection (never a token).
	OAuth     *oauth.Status `json:"oauth,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

func (s *Connections) view(ctx context.Context, conn *store.Connection) (Connection, error) {
	secretsPlain, err := tools.OpenSecrets(s.d.box, conn)
	if err != nil {
		return Connection{}, err
	}
	v := Connection{
		ID: conn.ID, Name: conn.Name, BaseURL: conn.BaseURL, Headers: conn.Headers,
		Config: conn.Config, Auth: conn.Auth, Secrets: map[string]SecretState{},
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
	if v.Limits, err = tools.ParseLimits(conn.Limits); err != nil {
		return Connection{}, err
	}
	if v.Limits == nil {
		v.Limits = []tools.Limit{}
	}
	for name := range secretsPlain {
		v.Secrets[name] = SecretState{Set: true}
	}
	var auth tools.Auth
	_ = json.Unmarshal(conn.Auth, &auth)
	for _, name := range auth.SecretNames() {
		if _, ok := v.Secrets[name]; !ok {
			v.Secrets[name] = SecretState{Set: false}
		}
	}
	if v.OAuth, err = s.oauthStatus(ctx, conn); err != nil {
		return Connection{}, err
	}
	return v, nil
}

// validateConnection checks an input and returns the field errors.
func validateConnection(in *ConnectionInput) []tools.FieldError {
	var errs []tools.FieldError
	add := func(path, msg string) { errs = append(errs, tools.FieldError{Path: path, Message: msg}) }
	if !tools.ValidName(in.Name) {
		add("name", "must match ^[a-zA-Z0-9_-]{1,64}$")
	}
	if err := tools.ValidateBaseURL(in.BaseURL); err != nil {
		add("base_url", err.Error())
	}
	for _, name := range slices.Sorted(maps.Keys(in.Headers)) {
		errs = append(errs, tools.ValidateHeader("headers", name, in.Headers[name])...)
	}
	if len(in.Config) > 0 && !isJSONObject(in.Config) {
		add("config", "must be a JSON object")
	}
	if in.Auth != nil {
		errs = append(errs, in.Auth.Validate("auth")...)
	}
	errs = append(errs, tools.ValidateLimits("limits", in.Limits)...)
	for name := range in.Secrets {
		if !tools.ValidName(name) {
			add("secrets."+name, "secret names must match ^[a-zA-Z0-9_-]{1,64}$")
		}
	}
	return errs
}

// isJSONObject reports whether raw is a JSON object.
func isJSONObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	var m map[string]any
	return json.Unmarshal(raw, &m) == nil
}

// Create stores a new connection.
func (s *Connections) Create(ctx context.Context, workspaceID string, in *ConnectionInput) (*Connection, error) {
	if errs := validateConnection(in); len(errs) > 0 {
		return nil, problem.Invalidf(errs, "the connection is invalid")
	}
	now := s.d.now().UTC()
	conn := &store.Connection{
		ID: store.NewID(), WorkspaceID: workspaceID, Name: in.Name, BaseURL: in.BaseURL,
		Headers: in.Headers, Config: in.Config, CreatedAt: now, UpdatedAt: now,
	}
	var err error
	if conn.Limits, err = limitsJSON(in.Limits); err != nil {
		return nil, err
	}
	if err := s.applyAuthAndSecrets(conn, in, map[string]string{}); err != nil {
		return nil, err
	}
	if err := s.d.store.ConnectionInsert(ctx, conn); err != nil {
		return nil, err
	}
	s.d.notify(ctx, workspaceID, changes.Connections, conn.ID)
	v, err := s.view(ctx, conn)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// applyAuthAndSecrets sets conn's auth from in and merges in's secrets into
// current before sealing them.
func (s *Connections) applyAuthAndSecrets(conn *store.Connection, in *ConnectionInput, current map[string]string) error {
	auth := in.Auth
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
	for name, value := range in.Secrets {
		if value == nil {
			delete(current, name)
		} else {
			current[name] = *value
		}
	}
	return tools.SealSecrets(s.d.box, conn, current)
}

// Get returns a connection.
func (s *Connections) Get(ctx context.Context, workspaceID, id string) (*Connection, error) {
	conn, err := s.d.store.ConnectionGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "connection")
	}
	v, err := s.view(ctx, conn)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// List pages through the workspace's connections.
func (s *Connections) List(ctx context.Context, workspaceID string, p store.ListParams) (*Page[Connection], error) {
	conns, err := s.d.store.ConnectionList(ctx, workspaceID, p)
	if err != nil {
		return nil, err
	}
	return pageOf(conns, p, func(c *store.Connection) string { return c.ID },
		func(c *store.Connection) (Connection, error) { return s.view(ctx, c) })
}

// Patch applies a JSON merge patch to a connection. Its "secrets" member is
// merged into the stored secrets (null deletes one), never into the public
// document. Changing the OAuth settings or the client secret forgets the
// connection's tokens.
func (s *Connections) Patch(ctx context.Context, workspaceID, id string, patch []byte) (*Connection, error) {
	conn, err := s.d.store.ConnectionGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "connection")
	}
	var secretsPatch ConnectionInput
	if err := problem.DecodeJSON(patch, &secretsPatch); err != nil {
		return nil, err
	}
	doc, err := splitPatch(patch)
	if err != nil {
		return nil, err
	}
	delete(doc, "secrets")
	limits, err := tools.ParseLimits(conn.Limits)
	if err != nil {
		return nil, err
	}
	current, err := json.Marshal(ConnectionInput{Name: conn.Name, BaseURL: conn.BaseURL, Headers: conn.Headers,
		Config: conn.Config, Auth: decodeAuth(conn.Auth), Limits: limits})
	if err != nil {
		return nil, err
	}
	publicPatch, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	merged, err := mergePatch(current, publicPatch)
	if err != nil {
		return nil, err
	}
	var in ConnectionInput
	if err := problem.DecodeJSON(merged, &in); err != nil {
		return nil, err
	}
	in.Secrets = secretsPatch.Secrets
	return s.save(ctx, conn, &in)
}

// Update replaces a connection's name, base URL, headers, config and auth
// with in's, and merges in.Secrets into the stored secrets: a secret in
// it is set (or deleted, when nil); a secret not in it is kept. Changing
// the OAuth settings or the client secret forgets the connection's tokens.
func (s *Connections) Update(ctx context.Context, workspaceID, id string, in *ConnectionInput) (*Connection, error) {
	conn, err := s.d.store.ConnectionGet(ctx, workspaceID, id)
	if err != nil {
		return nil, notFoundAs(err, "connection")
	}
	return s.save(ctx, conn, in)
}

// save validates in and writes it over conn.
func (s *Connections) save(ctx context.Context, conn *store.Connection, in *ConnectionInput) (*Connection, error) {
	workspaceID := conn.WorkspaceID
	if errs := validateConnection(in); len(errs) > 0 {
		return nil, problem.Invalidf(errs, "the connection is invalid")
	}
	plain, err := tools.OpenSecrets(s.d.box, conn)
	if err != nil {
		return nil, err
	}
	prevAuth := slices.Clone(conn.Auth)
	conn.Name, conn.BaseURL, conn.Headers, conn.Config = in.Name, in.BaseURL, in.Headers, in.Config
	if conn.Limits, err = limitsJSON(in.Limits); err != nil {
		return nil, err
	}
	conn.UpdatedAt = s.d.now().UTC()
	if err := s.applyAuthAndSecrets(conn, in, plain); err != nil {
		return nil, err
	}
	if err := s.d.store.ConnectionUpdate(ctx, conn); err != nil {
		return nil, notFoundAs(err, "connection")
	}
	s.d.notify(ctx, workspaceID, changes.Connections, conn.ID)
	// Tokens issued under other OAuth settings or another client secret
	// must not outlive them.
	_, newSecret := in.Secrets[tools.SecretClientSecret]
	if s.d.oauth != nil && (!bytes.Equal(prevAuth, conn.Auth) || newSecret) {
		if err := s.d.oauth.Forget(ctx, conn.WorkspaceID, conn.ID); err != nil {
			return nil, err
		}
	}
	v, err := s.view(ctx, conn)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// limitsJSON is how a connection's limits are stored: nil when none.
func limitsJSON(limits []tools.Limit) (json.RawMessage, error) {
	if len(limits) == 0 {
		return nil, nil
	}
	return json.Marshal(limits)
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

// Delete deletes a connection.
func (s *Connections) Delete(ctx context.Context, workspaceID, id string) error {
	if err := s.d.store.ConnectionDelete(ctx, workspaceID, id); err != nil {
		return notFoundAs(err, "connection")
	}
	s.d.notify(ctx, workspaceID, changes.Connections, id)
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

package tools

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/toolgate/toolgate/redact"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
)

// Connection is a stored connection opened for use: its secrets decrypted
// and its redactor built. It is immutable once built.
type Connection struct {
	ID      string
	Name    string
	BaseURL string
	Headers map[string]string
	Config  map[string]any
	Auth    Auth
	Secrets map[string]string
	// Limits are the connection's own limits, applied to every tool of it.
	Limits []Limit

	// headers are the parsed Headers templates (conn and secret roots only).
	headers []headerTemplate
	// redactor scrubs every secret value of the connection.
	redactor *redact.Redactor
	// secretHeaders name the headers that carry credentials: the api_key
	// header and every header built from {{secret.*}}.
	secretHeaders []string
}

// sensitiveHeaders returns the connection's credential headers plus extra.
func (c *Connection) sensitiveHeaders(extra []string) []string {
	if len(extra) == 0 {
		return c.secretHeaders
	}
	return append(slices.Clip(c.secretHeaders), extra...)
}

type headerTemplate struct {
	name string
	tmpl *Template
}

// Redactor returns the scrubber of the connection's secrets.
func (c *Connection) Redactor() *redact.Redactor { return c.redactor }

// SecretsAAD binds a connection's sealed secrets to its row.
func SecretsAAD(workspaceID, connectionID string) []byte {
	return []byte("connection:" + workspaceID + "/" + connectionID)
}

// SealSecrets encrypts a connection's secret values into c.Secrets.
func SealSecrets(box *secrets.Box, c *store.Connection, values map[string]string) error {
	if len(values) == 0 {
		c.Secrets = nil
		return nil
	}
	plain, err := json.Marshal(values)
	if err != nil {
		return err
	}
	c.Secrets = box.Seal(plain, SecretsAAD(c.WorkspaceID, c.ID))
	return nil
}

// OpenSecrets decrypts a stored connection's secret values.
func OpenSecrets(box *secrets.Box, c *store.Connection) (map[string]string, error) {
	plain, err := box.Open(c.Secrets, SecretsAAD(c.WorkspaceID, c.ID))
	if err != nil {
		return nil, fmt.Errorf("opening secrets of connection %s: %w", c.ID, err)
	}
	out := map[string]string{}
	if len(plain) > 0 {
		if err := json.Unmarshal(plain, &out); err != nil {
			return nil, fmt.Errorf("decoding secrets of connection %s: %w", c.ID, err)
		}
	}
	return out, nil
}

// OpenConnection turns a stored connection into one ready for calls.
func OpenConnection(box *secrets.Box, sc *store.Connection) (*Connection, error) {
	values, err := OpenSecrets(box, sc)
	if err != nil {
		return nil, err
	}
	c := &Connection{ID: sc.ID, Name: sc.Name, BaseURL: sc.BaseURL, Headers: sc.Headers, Secrets: values, Config: map[string]any{}}
	if len(sc.Config) > 0 {
		if err := json.Unmarshal(sc.Config, &c.Config); err != nil {
			return nil, fmt.Errorf("decoding config of connection %s: %w", sc.ID, err)
		}
	}
	if len(sc.Auth) > 0 {
		if err := json.Unmarshal(sc.Auth, &c.Auth); err != nil {
			return nil, fmt.Errorf("decoding auth of connection %s: %w", sc.ID, err)
		}
	}
	if c.Limits, err = ParseLimits(sc.Limits); err != nil {
		return nil, fmt.Errorf("connection %s: %w", sc.Name, err)
	}
	for _, name := range slices.Sorted(maps.Keys(sc.Headers)) {
		t, err := ParseTemplate(sc.Headers[name])
		if err != nil {
			return nil, fmt.Errorf("connection %s: headers.%s: %w", sc.Name, name, err)
		}
		c.headers = append(c.headers, headerTemplate{name: name, tmpl: t})
		if usesSecret(sc.Headers[name], ParseOptions{}) {
			c.secretHeaders = append(c.secretHeaders, name)
		}
	}
	secretValues := slices.Collect(maps.Values(values))
	if c.Auth.Type == AuthBasic && values[SecretPassword] != "" {
		// The wire form is base64("user:password"): scrub the pair too.
		secretValues = append(secretValues, c.Auth.Username+":"+values[SecretPassword])
	}
	c.redactor = redact.New(secretValues...)
	if c.Auth.Type == AuthAPIKey && c.Auth.In == "header" {
		c.redactor = c.redactor.WithHeaders(c.Auth.Name)
		c.secretHeaders = append(c.secretHeaders, c.Auth.Name)
	}
	if c.Auth.Type == AuthAPIKey && c.Auth.In == "query" {
		c.redactor = c.redactor.WithQueryParams(c.Auth.Name)
	}
	return c, nil
}

package tools

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/toolgate/toolgate/schema"
)

// Prepared is a tool version ready to call: its templates parsed and its
// schema compiled once, so the hot path compiles nothing. It is immutable.
type Prepared struct {
	ToolID  string
	Name    string
	Version int // 0 for a draft
	Def     *Definition
	Schema  *schema.Schema
	Request *RequestTemplate

	// secretHeaders name the tool's headers built from {{secret.*}}, and
	// secretBody says the body is: neither follows a redirect to another
	// origin.
	secretHeaders []string
	secretBody    bool
	// literalSecrets are credentials written literally into the tool's
	// headers or query: redacted like a connection's secrets.
	literalSecrets []string

	// inputSchema is the argument schema as models see it (with the
	// confirmation token of a tool with a confirm).
	inputSchema json.RawMessage
	// confirmMessage is the parsed confirm message, nil without one.
	confirmMessage *Template
}

// Prepare parses and compiles def. A definition that does not prepare
// cannot be published.
func Prepare(toolID string, version int, def *Definition) (*Prepared, error) {
	return PrepareWith(toolID, version, def, ParseOptions{})
}

// PrepareWith prepares def like Prepare, its templates parsed with opts: a
// conversation flow's API_CALL allows RootVariables, whose values a Call
// carries in Variables.
func PrepareWith(toolID string, version int, def *Definition, opts ParseOptions) (*Prepared, error) {
	s, err := schema.Compile(def.InputSchema)
	if err != nil {
		return nil, fmt.Errorf("input_schema: %w", err)
	}
	rt, err := NewRequestTemplateWith(def, opts)
	if err != nil {
		return nil, err
	}
	p := &Prepared{ToolID: toolID, Name: def.Name, Version: version, Def: def, Schema: s, Request: rt}
	for name, value := range def.Headers {
		if usesSecret(value, opts) {
			p.secretHeaders = append(p.secretHeaders, name)
		}
	}
	p.secretBody = usesSecret(string(def.Body), opts)
	p.literalSecrets, _ = literalCredentials(def)
	p.inputSchema = s.Raw()
	if def.Confirm != nil {
		if p.confirmMessage, err = ParseTemplate(def.Confirm.Message); err != nil {
			return nil, fmt.Errorf("confirm.message: %w", err)
		}
		p.inputSchema = withConfirmationToken(p.inputSchema)
	}
	return p, nil
}

// usesSecret reports whether a template refers to a {{secret.*}} value.
func usesSecret(src string, opts ParseOptions) bool {
	t, err := ParseTemplateWith(src, opts)
	if err != nil {
		return strings.Contains(src, RootSecret+".")
	}
	for _, ph := range t.Placeholders() {
		if ph.Root == RootSecret {
			return true
		}
	}
	return false
}

// PrepareJSON decodes a stored definition and prepares it.
func PrepareJSON(toolID string, version int, raw json.RawMessage) (*Prepared, error) {
	var def Definition
	if err := json.Unmarshal(raw, &def); err != nil {
		return nil, fmt.Errorf("decoding tool %s version %d: %w", toolID, version, err)
	}
	return Prepare(toolID, version, &def)
}

// InputSchema returns the tool's argument schema as JSON, as models see
// it: a tool with a confirm also takes ConfirmationTokenArgument.
func (p *Prepared) InputSchema() json.RawMessage {
	if p.inputSchema == nil {
		return p.Schema.Raw()
	}
	return p.inputSchema
}

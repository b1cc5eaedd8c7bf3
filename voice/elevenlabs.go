package voice

// ElevenLabs: POST /v1/adapters/elevenlabs/{agent_id}/{tool_name} is the
// URL of one of the agent's ElevenLabs server (webhook) tools. ElevenLabs
// sends the parameters its model filled in, as described by the tool's
// request_body_schema, as the JSON body, with the request headers
// configured on the tool; the JSON answer is given to its model.
// Sources: https://elevenlabs.io/docs/agents-platform/customization/tools/server-tools,
// the WebhookToolConfig type of the official SDK (@elevenlabs/elevenlabs-js).
//
// Authentication: ElevenLabs does not sign tool webhooks; the tool carries a
// secret request header. toolgate accepts X-Elevenlabs-Secret: <secret> or
// Authorization: Bearer <secret>, compared in constant time with the
// agent's elevenlabs.secret. Store the value as an ElevenLabs workspace
// secret and reference it from the header.
//
// Context: the exported tool passes the system dynamic variables
// system__conversation_id and system__caller_id as the conversation_id
// and caller_id query parameters; they become the run's conversation_id and
// user_id.

import (
	"bytes"
	"encoding/json"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// elevenLabsSecretIDPlaceholder stands where the admin puts the ID of the
// ElevenLabs workspace secret holding the agent's elevenlabs.secret: the
// export never contains a secret.
const elevenLabsSecretIDPlaceholder = "REPLACE_WITH_ELEVENLABS_WORKSPACE_SECRET_ID"

type elevenLabs struct{}

func (elevenLabs) Name() string       { return "elevenlabs" }
func (elevenLabs) Settings() []string { return []string{"secret"} }

func (elevenLabs) Authenticate(req *Request, settings Settings) (bool, string) {
	presented := req.Header.Get("X-Elevenlabs-Secret")
	if presented == "" {
		presented = bearerToken(req.Header.Get("Authorization"))
	}
	return secretMatches(presented, settings.Get("elevenlabs", "secret")), ""
}

func (elevenLabs) Decode(req *Request) (*Batch, error) {
	body := req.Body
	if !isObjectOrEmpty(body) || (len(bytes.TrimSpace(body)) > 0 && !json.Valid(body)) {
		return nil, problem.BadRequestf("", "the body must be the tool's parameters as a JSON object")
	}
	return &Batch{Calls: []Call{{Tool: req.Tool, Arguments: toolArguments(body)}},
		User: req.Query.Get("caller_id"), Conversation: req.Query.Get("conversation_id")}, nil
}

func (elevenLabs) Encode(_ *Batch, replies []Reply) (*Response, error) { return bodyReply(replies[0]) }

// Export is a body for POST https://api.elevenlabs.io/v1/convai/tools: a
// webhook tool calling the adapter with the parameters as the JSON body,
// the secret header taken from a workspace secret, and the conversation and
// caller IDs as query parameters filled from system dynamic variables.
//
// The body schema is the tool's argument schema in ElevenLabs' subset
// (schema.ElevenLabs). A query parameter takes exactly one value source, so
// the two filled from dynamic variables carry no description (a description
// would ask the model for the value).
func (elevenLabs) Export(t *tools.Prepared, u string) (any, []*schema.NotConvertibleError) {
	body, note, lost := schema.ElevenLabs(t.InputSchema())
	return map[string]any{
		"tool_config": map[string]any{
			"type":                  "webhook",
			"name":                  t.Name,
			"description":           schema.AppendNote(t.Def.Description, note),
			"response_timeout_secs": timeoutSeconds(t, 5, 120),
			"api_schema": map[string]any{
				"url":    u,
				"method": "POST",
				"request_headers": map[string]any{
					"X-Elevenlabs-Secret": map[string]string{"secret_id": elevenLabsSecretIDPlaceholder},
				},
				"query_params_schema": map[string]any{
					"properties": map[string]any{
						"conversation_id": map[string]any{"type": "string", "dynamic_variable": "system__conversation_id"},
						"caller_id":       map[string]any{"type": "string", "dynamic_variable": "system__caller_id"},
					},
				},
				"request_body_schema": body,
			},
		},
	}, lost
}

func (elevenLabs) ToolInPath() bool { return true }

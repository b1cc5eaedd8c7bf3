package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// elevenLabsSecretIDPlaceholder stands where the admin puts the ID of the
// ElevenLabs workspace secret holding the agent's elevenlabs.secret: the
// export never contains a secret.
const elevenLabsSecretIDPlaceholder = "REPLACE_WITH_ELEVENLABS_WORKSPACE_SECRET_ID"

// exportAgent answers GET /v1/admin/agents/{id}/export/{platform}: the
// agent's published tools as the platform's tool definitions, each pointing
// at the adapter URL, ready to paste into the platform's dashboard or POST
// to its API. Secrets are never included.
func (s *Server) exportAgent(c *gin.Context) error {
	p := who(c)
	ctx := c.Request.Context()
	agent, err := s.store.AgentGet(ctx, p.WorkspaceID, c.Param("id"))
	if err != nil {
		return notFoundAs(err, "agent")
	}
	platform := c.Param("platform")
	if _, ok := adapterFields[platform]; !ok {
		return notFound("export platform (use vapi, retell or elevenlabs)")
	}
	list, err := s.catalog.AgentTools(ctx, p.WorkspaceID, agent.ID)
	if err != nil {
		return notFoundAs(err, "agent")
	}
	settings, err := openAdapters(s.box, agent)
	if err != nil {
		return err
	}
	base := s.publicURL
	if base == "" {
		base = publicBaseURL(c.Request)
	}
	base += "/v1/adapters/" + platform + "/" + url.PathEscape(agent.ID)
	defs := make([]any, 0, len(list))
	for _, t := range list {
		switch platform {
		case platformVapi:
			defs = append(defs, vapiToolDef(t, base))
		case platformRetell:
			defs = append(defs, retellToolDef(t, base))
		case platformElevenLabs:
			defs = append(defs, elevenLabsToolDef(t, base+"/"+url.PathEscape(t.Name)))
		}
	}
	configured := false
	for _, field := range adapterFields[platform] {
		configured = configured || settings.get(platform, field) != ""
	}
	c.JSON(http.StatusOK, gin.H{
		"platform":   platform,
		"agent_id":   agent.ID,
		"url":        base,
		"configured": configured,
		"tools":      defs,
	})
	return nil
}

// publicBaseURL is the scheme and host clients reach this server at, as
// the request says (X-Forwarded-Proto and X-Forwarded-Host from a proxy in
// front win). The export is an admin request, so the headers are the
// admin's own.
func publicBaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if v := firstHeaderValue(r.Header.Get("X-Forwarded-Proto")); v == "http" || v == "https" {
		scheme = v
	}
	host := r.Host
	if v := firstHeaderValue(r.Header.Get("X-Forwarded-Host")); v != "" && !strings.ContainsAny(v, "/ \\@?#") {
		host = v
	}
	return scheme + "://" + host
}

func firstHeaderValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.ToLower(strings.TrimSpace(first))
}

// toolParameters is a tool's argument schema as a plain JSON Schema object
// (no $schema), the shape all three platforms take.
func toolParameters(t *tools.Prepared) json.RawMessage {
	return schema.Anthropic(t.InputSchema())
}

// timeoutSeconds is the tool's timeout rounded up, plus a second for
// toolgate's own work, clamped to [lo, hi].
func timeoutSeconds(t *tools.Prepared, lo, hi int) int {
	secs := (t.Def.EffectiveTimeoutMS()+999)/1000 + 1
	return min(max(secs, lo), hi)
}

// vapiToolDef is a body for POST https://api.vapi.ai/tool: a function tool
// whose server is the adapter. Set the server's credential (X-Vapi-Secret)
// in Vapi; see docs/voice.md.
func vapiToolDef(t *tools.Prepared, serverURL string) map[string]any {
	return map[string]any{
		"type": "function",
		"function": map[string]any{
			"name":        t.Name,
			"description": t.Def.Description,
			"parameters":  toolParameters(t),
		},
		"server": map[string]any{
			"url":            serverURL,
			"timeoutSeconds": timeoutSeconds(t, 1, 300),
		},
	}
}

// retellToolDef is an entry of a Retell LLM's general_tools: a custom
// function calling the adapter with the full {"name", "args", "call"}
// payload.
func retellToolDef(t *tools.Prepared, u string) map[string]any {
	return map[string]any{
		"type":                   "custom",
		"name":                   t.Name,
		"description":            t.Def.Description,
		"url":                    u,
		"method":                 "POST",
		"parameters":             toolParameters(t),
		"speak_during_execution": false,
		"speak_after_execution":  true,
		"timeout_ms":             timeoutSeconds(t, 1, 600) * 1000,
	}
}

// elevenLabsToolDef is a body for POST
// https://api.elevenlabs.io/v1/convai/tools: a webhook tool calling the
// adapter with the parameters as the JSON body, the secret header taken
// from a workspace secret, and the conversation and caller IDs as query
// parameters filled from system dynamic variables.
func elevenLabsToolDef(t *tools.Prepared, u string) map[string]any {
	return map[string]any{
		"tool_config": map[string]any{
			"type":                  "webhook",
			"name":                  t.Name,
			"description":           t.Def.Description,
			"response_timeout_secs": timeoutSeconds(t, 5, 120),
			"api_schema": map[string]any{
				"url":    u,
				"method": "POST",
				"request_headers": map[string]any{
					"X-Elevenlabs-Secret": map[string]string{"secret_id": elevenLabsSecretIDPlaceholder},
				},
				"query_params_schema": map[string]any{
					"properties": map[string]any{
						"conversation_id": map[string]any{"type": "string", "description": "The conversation ID.",
							"dynamic_variable": "system__conversation_id"},
						"caller_id": map[string]any{"type": "string", "description": "The caller's phone number.",
							"dynamic_variable": "system__caller_id"},
					},
				},
				"request_body_schema": toolParameters(t),
			},
		},
	}
}

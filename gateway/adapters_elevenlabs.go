package gateway

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

	"github.com/gin-gonic/gin"
)

func (s *Server) elevenLabsAdapter(c *gin.Context) error {
	ctx := c.Request.Context()
	agent, settings, err := s.adapterAgent(ctx, c.Param("agent_id"))
	if err != nil {
		return err
	}
	presented := c.GetHeader("X-Elevenlabs-Secret")
	if presented == "" {
		presented = bearerToken(c.GetHeader("Authorization"))
	}
	if !secretMatches(presented, settings.get(platformElevenLabs, "secret")) || agent == nil {
		return errAdapterUnauthorized
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if !isObjectOrEmpty(body) || (len(bytes.TrimSpace(body)) > 0 && !json.Valid(body)) {
		return badRequest("the body must be the tool's parameters as a JSON object", nil)
	}
	callerCtx := voiceContext(platformElevenLabs, c.Query("caller_id"), c.Query("conversation_id"))
	a := s.voiceCall(ctx, adapterPrincipal(agent), c.Param("tool_name"), toolArguments(body), callerCtx)
	writeVoiceBody(c, a)
	return nil
}

package gateway

// Voice-platform adapters: Vapi, Retell and ElevenLabs call an agent's tools
// with their own webhook envelopes and credentials instead of a toolgate
// key. The agent ID in the URL names the agent (IDs are globally unique);
// the platform's secret, set per agent over the admin API, authenticates the
// request. An unknown agent, an agent without settings for the platform and
// a wrong or missing credential are the same 401, and nothing runs.
//
// Every tool call goes through invoke, exactly as POST /v1/tools/{name}/call
// does; only the envelopes differ. Each platform gets HTTP 200 for anything
// its model should read (results, invalid arguments, upstream failures), so
// the assistant can tell or ask the caller rather than hit a platform error.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// errAdapterUnauthorized is the one answer to every failed adapter
// authentication: it does not say whether the agent exists.
var errAdapterUnauthorized = &HTTPError{Status: http.StatusUnauthorized, Type: ErrTypeUnauthorized,
	Message: "missing or invalid platform credential for this agent"}

// maxAgentIDBytes bounds the agent ID of an adapter URL before any lookup.
const maxAgentIDBytes = 64

// adapterAgent looks up the agent of an adapter URL and opens its adapter
// settings. An unknown agent is (nil, empty settings, nil): the caller still
// compares the presented credential, against nothing, and answers 401.
func (s *Server) adapterAgent(ctx context.Context, agentID string) (*store.Agent, adapterSettings, error) {
	if agentID == "" || len(agentID) > maxAgentIDBytes {
		return nil, adapterSettings{}, nil
	}
	agent, err := s.store.AgentGetUnscoped(ctx, agentID)
	if isNotFound(err) {
		return nil, adapterSettings{}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	settings, err := openAdapters(s.box, agent)
	if err != nil {
		return nil, nil, err
	}
	return agent, settings, nil
}

// secretMatches compares a presented secret with the configured one in
// constant time (over their SHA-256, so the length does not leak either).
// An unconfigured secret matches nothing.
func secretMatches(presented, configured string) bool {
	p := sha256.Sum256([]byte(presented))
	c := sha256.Sum256([]byte(configured))
	equal := subtle.ConstantTimeCompare(p[:], c[:]) == 1
	return equal && configured != "" && presented != ""
}

// bearerToken returns the token of an "Authorization: Bearer ..." value.
func bearerToken(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// adapterPrincipal is the agent acting through a voice platform.
func adapterPrincipal(agent *store.Agent) *principal {
	return &principal{WorkspaceID: agent.WorkspaceID, AgentID: agent.ID, Role: store.RoleAgent}
}

// voiceContext is the run context of a call from a voice platform: the
// caller's phone number as user_id, the platform's call or conversation ID
// as conversation_id, channel "voice" and the platform's name. Empty values
// are left out.
func voiceContext(platform, userID, conversationID string) map[string]any {
	ctx := map[string]any{"channel": "voice", "platform": platform}
	if userID != "" {
		ctx["user_id"] = userID
	}
	if conversationID != "" {
		ctx["conversation_id"] = conversationID
	}
	return ctx
}

// Kinds of voiceAnswer.
const (
	// answerResult: the call succeeded; Result holds the shaped result.
	answerResult = iota
	// answerInstruction: the model should act on Text and call again or
	// tell the caller (invalid arguments, a queued background run).
	answerInstruction
	// answerError: the call failed; Text says what to tell the caller.
	answerError
)

// voiceAnswer is one tool call's outcome as a voice platform hands it to
// its model.
type voiceAnswer struct {
	Kind int
	// Result is the shaped result of a successful call.
	Result json.RawMessage
	// Text is what the model reads, on one line: the result for a success,
	// the instruction or the failure otherwise.
	Text string
}

// voiceCall runs one tool call through invoke and turns every outcome into
// something a voice assistant can say or act on.
func (s *Server) voiceCall(ctx context.Context, p *principal, tool string, args json.RawMessage, callerCtx map[string]any) (answer voiceAnswer) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(ctx, "panic in voice adapter call", slog.String("tool", tool), slog.Any("panic", v))
			answer = voiceAnswer{Kind: answerError, Text: prompts.ToolUnavailable(tool)}
		}
	}()
	res, err := s.invoke(ctx, p, tool, args, callerCtx, invokeOptions{})
	if err != nil {
		if he := toHTTPError(err); he.Status >= http.StatusInternalServerError {
			s.log.ErrorContext(ctx, "voice adapter call failed", slog.String("tool", tool),
				slog.String("agent_id", p.AgentID), slog.Any("err", err))
		}
		return voiceAnswer{Kind: answerError, Text: prompts.ToolUnavailable(tool)}
	}
	switch {
	case res.Status == store.RunStatusQueued || res.Status == store.RunStatusRunning:
		return voiceAnswer{Kind: answerInstruction, Text: prompts.BackgroundAccepted(tool)}
	case res.Outcome == tools.OutcomeInvalidArguments:
		text := ""
		if res.Error != nil {
			text = res.Error.Message
			if res.Error.Hint != "" {
				text += " " + res.Error.Hint
			}
		}
		return voiceAnswer{Kind: answerInstruction, Text: prompts.SingleLine(text)}
	case res.OK:
		return voiceAnswer{Kind: answerResult, Result: res.Result, Text: resultText(res.Result)}
	}
	text := ""
	if res.Error != nil {
		text = res.Error.Message
	}
	if text == "" {
		text = prompts.UpstreamFailure(prompts.FailureData{Tool: tool, Outcome: res.Outcome, StatusCode: res.StatusCode})
	}
	return voiceAnswer{Kind: answerError, Text: prompts.SingleLine(text)}
}

// resultText is a shaped result as one line of text: a JSON string's
// content, or any other JSON value compacted (JSON escapes line breaks
// inside strings, so compact JSON is one line).
func resultText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return prompts.SingleLine(s)
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return prompts.SingleLine(string(raw))
	}
	return buf.String()
}

// writeVoiceBody answers Retell and ElevenLabs, whose whole response body
// is what their model reads: the shaped result itself on success,
// {"result": text} for an instruction (invalid arguments, background
// acknowledgement), {"error": text} for a failure. Always HTTP 200: both
// platforms hide or replace non-2xx answers, and the model must read them.
func writeVoiceBody(c *gin.Context, a voiceAnswer) {
	switch a.Kind {
	case answerResult:
		body := bytes.TrimSpace(a.Result)
		if len(body) == 0 {
			body = []byte("null")
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", body)
	case answerInstruction:
		c.JSON(http.StatusOK, gin.H{"result": a.Text})
	default:
		c.JSON(http.StatusOK, gin.H{"error": a.Text})
	}
}

// toolArguments normalises arguments as platforms send them: an object, an
// absent value, or (OpenAI style) a string holding the JSON object.
func toolArguments(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			inner := bytes.TrimSpace([]byte(s))
			if len(inner) == 0 {
				return nil
			}
			if json.Valid(inner) {
				return inner
			}
		}
	}
	return raw
}

package voice

// Retell: POST /v1/adapters/retell/{agent_id} is the URL of the agent's
// Retell custom functions. Retell POSTs {"name", "args", "call"} (or, with
// "payload: args only", just the arguments object: the tool is then named
// by the URL's ?tool= query parameter) and hands the response body, up to
// 15,000 characters, to its model.
// Source: https://docs.retellai.com/build/single-multi-prompt/custom-function.
//
// Signature: X-Retell-Signature is "v=<unix ms>,d=<hex>", where hex is
// HMAC-SHA256, keyed with the Retell API key (the one with the webhook
// badge), over the raw body followed by the decimal timestamp; a signature
// more than 5 minutes from now is refused. This is Retell.verify of the
// official SDKs: RetellAI/retell-typescript-sdk src/lib/webhook_auth.ts,
// RetellAI/retell-python-sdk src/retell/lib/webhook_auth.py; see also
// https://docs.retellai.com/features/secure-webhook.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// retellSignatureTolerance is how far a signature's timestamp may be from
// now, either way (the SDKs' FIVE_MINUTES).
const retellSignatureTolerance = 5 * time.Minute

// replayWindow is how long a signed request is remembered: past it, its
// signature is refused as too old anyway.
const replayWindow = 2 * retellSignatureTolerance

type retell struct{}

func (retell) Name() string       { return "retell" }
func (retell) Settings() []string { return []string{"api_key"} }

// Authenticate checks X-Retell-Signature. The replay key is the decoded
// digest, so the same signature with its hex in another case is the same
// request.
func (retell) Authenticate(req *Request, settings Settings) (bool, string) {
	digest, ok := verifyRetellSignature(req.Body, settings.Get("retell", "api_key"), req.Header.Get("X-Retell-Signature"), req.Now)
	if !ok {
		return false, ""
	}
	return true, hex.EncodeToString(digest)
}

// verifyRetellSignature checks an X-Retell-Signature header against body,
// signed with apiKey, at now, and returns the signature's digest.
func verifyRetellSignature(body []byte, apiKey, header string, now time.Time) ([]byte, bool) {
	stamp, digest, ok := parseRetellSignature(header)
	if !ok {
		return nil, false
	}
	ms, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return nil, false
	}
	if d := now.UnixMilli() - ms; d > retellSignatureTolerance.Milliseconds() || d < -retellSignatureTolerance.Milliseconds() {
		return nil, false
	}
	presented, err := hex.DecodeString(digest)
	if err != nil {
		return nil, false
	}
	mac := hmac.New(sha256.New, []byte(apiKey))
	mac.Write(body)
	mac.Write([]byte(stamp))
	if !hmac.Equal(presented, mac.Sum(nil)) || apiKey == "" {
		return nil, false
	}
	return presented, true
}

// parseRetellSignature splits "v=<digits>,d=<hex>".
func parseRetellSignature(header string) (stamp, digest string, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(header), "v=")
	if !ok {
		return "", "", false
	}
	stamp, digest, ok = strings.Cut(rest, ",d=")
	if !ok || stamp == "" || len(stamp) > 19 || digest == "" {
		return "", "", false
	}
	for _, r := range stamp {
		if r < '0' || r > '9' {
			return "", "", false
		}
	}
	return stamp, digest, true
}

// retellCall is the part of Retell's call object the adapter reads.
type retellCall struct {
	CallID     string `json:"call_id"`
	FromNumber string `json:"from_number"`
	ToNumber   string `json:"to_number"`
	Direction  string `json:"direction"`
}

// customer is the phone number of the person on the call: the caller of
// an inbound call, the callee of an outbound one.
func (rc *retellCall) customer() string {
	if rc.Direction == "outbound" {
		return rc.ToNumber
	}
	return rc.FromNumber
}

func (retell) Decode(req *Request) (*Batch, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(req.Body, &doc); err != nil {
		return nil, problem.BadRequestf("", "the body must be a JSON object: {\"name\", \"args\", \"call\"} or the arguments alone")
	}
	var (
		tool string
		args json.RawMessage
		call retellCall
	)
	rawName, hasName := doc["name"]
	rawArgs, hasArgs := doc["args"]
	if hasName && hasArgs && json.Unmarshal(rawName, &tool) == nil && isObjectOrEmpty(rawArgs) {
		args = toolArguments(rawArgs)
		if rawCall := bytes.TrimSpace(doc["call"]); len(rawCall) > 0 && rawCall[0] == '{' {
			_ = json.Unmarshal(rawCall, &call)
		}
	} else {
		// "Payload: args only": the body is the arguments.
		tool = req.Query.Get("tool")
		if tool == "" {
			return nil, problem.BadRequestf("tool", "an arguments-only payload needs the tool's name in the URL: ?tool=<name>")
		}
		args = req.Body
	}
	return &Batch{Calls: []Call{{Tool: tool, Arguments: args}}, User: call.customer(), Conversation: call.CallID}, nil
}

func (retell) Encode(_ *Batch, replies []Reply) (*Response, error) { return bodyReply(replies[0]) }

// Export is an entry of a Retell LLM's general_tools: a custom function
// calling the adapter with the full {"name", "args", "call"} payload, its
// parameters in the shape Retell takes (schema.Retell: no $defs at the
// root).
func (retell) Export(t *tools.Prepared, u string) (any, []*schema.NotConvertibleError) {
	params, note, lost := schema.Retell(t.InputSchema())
	return map[string]any{
		"type":                   "custom",
		"name":                   t.Name,
		"description":            schema.AppendNote(t.Def.Description, note),
		"url":                    u,
		"method":                 "POST",
		"parameters":             params,
		"speak_during_execution": false,
		"speak_after_execution":  true,
		"timeout_ms":             timeoutSeconds(t, 1, 600) * 1000,
	}, lost
}

func (retell) ToolInPath() bool { return false }

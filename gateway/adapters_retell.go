package gateway

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
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// retellSignatureTolerance is how far a signature's timestamp may be from
// now, either way (the SDKs' FIVE_MINUTES).
const retellSignatureTolerance = 5 * time.Minute

// verifyRetellSignature checks an X-Retell-Signature header against body,
// signed with apiKey, at now.
func verifyRetellSignature(body []byte, apiKey, header string, now time.Time) bool {
	stamp, digest, ok := parseRetellSignature(header)
	if !ok {
		return false
	}
	ms, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return false
	}
	if d := now.UnixMilli() - ms; d > retellSignatureTolerance.Milliseconds() || d < -retellSignatureTolerance.Milliseconds() {
		return false
	}
	presented, err := hex.DecodeString(digest)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(apiKey))
	mac.Write(body)
	mac.Write([]byte(stamp))
	return hmac.Equal(presented, mac.Sum(nil)) && apiKey != ""
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

func (s *Server) retellAdapter(c *gin.Context) error {
	ctx := c.Request.Context()
	// The signature covers the raw body, so it is read (bounded) first.
	body, err := readBody(c)
	if err != nil {
		return err
	}
	agent, settings, err := s.adapterAgent(ctx, c.Param("agent_id"))
	if err != nil {
		return err
	}
	sig := c.GetHeader("X-Retell-Signature")
	if !verifyRetellSignature(body, settings.get(platformRetell, "api_key"), sig, s.now()) || agent == nil {
		return errAdapterUnauthorized
	}
	// A signature is good for one request: a captured one can be neither
	// replayed nor pointed at another tool (?tool=) within its window.
	if !s.retellSeen.first(agent.ID+"\x00"+sig, s.now()) {
		return errAdapterUnauthorized
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return badRequest("the body must be a JSON object: {\"name\", \"args\", \"call\"} or the arguments alone", nil)
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
		tool = c.Query("tool")
		if tool == "" {
			return badRequest("an arguments-only payload needs the tool's name in the URL: ?tool=<name>", map[string]string{"field": "tool"})
		}
		args = body
	}
	a := s.voiceCall(ctx, adapterPrincipal(agent), tool, args, voiceContext(platformRetell, call.customer(), call.CallID))
	writeVoiceBody(c, a)
	return nil
}

// replayGuard remembers signatures seen within the signature window, so each
// is accepted once (in this process; replicas keep their own).
type replayGuard struct {
	mu   sync.Mutex
	seen map[string]time.Time // signature → when it may be forgotten
}

// replayGuardMax bounds the remembered signatures; expired ones are pruned
// when it is reached.
const replayGuardMax = 100000

// first reports whether key is seen for the first time within the window.
func (g *replayGuard) first(key string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[string]time.Time{}
	}
	if until, ok := g.seen[key]; ok && now.Before(until) {
		return false
	}
	if len(g.seen) >= replayGuardMax {
		for k, until := range g.seen {
			if !now.Before(until) {
				delete(g.seen, k)
			}
		}
	}
	g.seen[key] = now.Add(2 * retellSignatureTolerance)
	return true
}

package tools

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ConfirmationTokenArgument is the argument that carries a confirmation
// token on surfaces whose calls have nothing but arguments (MCP, voice
// platforms, a model's batch). The gateway takes it out before the
// arguments are validated, so it never reaches the upstream.
const ConfirmationTokenArgument = "_confirmation_token"

// ConfirmConfig makes a caller agree to a call before it runs.
type ConfirmConfig struct {
	// Message is what the model reads back to the caller: a template over
	// {{args.*}} and {{context.*}}.
	Message string `json:"message" jsonschema_description:"What the model reads back to the caller before the call runs: a template over {{args.x}} and {{context.x}}."`
	// TTLS is how long, in seconds, the caller has to agree. Defaults to
	// ConfirmTTLSDefault.
	TTLS int `json:"ttl_s,omitempty" jsonschema_description:"How long, in seconds, the confirmation token stays good."`
}

// ApprovalConfig makes an admin approve each call before it runs.
type ApprovalConfig struct {
	// Required turns approval on.
	Required bool `json:"required" jsonschema_description:"Turns approval on."`
	// TimeoutS is how long, in seconds, a request waits for a decision
	// before it expires. Defaults to ApprovalTimeoutSDefault.
	TimeoutS int `json:"timeout_s,omitempty" jsonschema_description:"How long, in seconds, a request waits for a decision before it expires (outcome approval_expired)."`
	// Message is what the model tells the caller while the call waits.
	// Defaults to a sentence from package prompts.
	Message string `json:"message,omitempty" jsonschema_description:"What the model tells the caller while the call waits for a decision."`
}

// Limit is a rate or a concurrency limit on the calls that reach the
// upstream, counted per key.
type Limit struct {
	// Key is what is counted: LimitKeyTool, LimitKeyAgent, LimitKeyUser,
	// LimitKeyConversation or LimitKeyConnection.
	Key string `json:"key" jsonschema_description:"What is counted: every call of the tool, or each agent, user (context user_id), conversation, or the whole connection."`
	// Rate is "N/s", "N/m" or "N/h".
	Rate string `json:"rate,omitempty" jsonschema_description:"N/s, N/m or N/h: how many calls per second, minute or hour reach the upstream."`
	// Burst is how many calls may come at once. Defaults to Rate's N.
	Burst int `json:"burst,omitempty" jsonschema_description:"How many calls may come at once before the rate applies; defaults to the rate's N."`
	// Concurrency is how many calls may be in flight at once.
	Concurrency int `json:"concurrency,omitempty" jsonschema_description:"How many calls may be in flight at once."`
}

// Keys of a Limit.
const (
	// LimitKeyTool counts every call of the tool (on a connection's
	// limit: each of its tools separately).
	LimitKeyTool = "tool"
	// LimitKeyAgent counts each agent's calls.
	LimitKeyAgent = "agent"
	// LimitKeyUser counts each caller (the caller context's user_id).
	LimitKeyUser = "user"
	// LimitKeyConversation counts each conversation.
	LimitKeyConversation = "conversation"
	// LimitKeyConnection counts every call to the connection, whichever
	// tool of it declares the limit.
	LimitKeyConnection = "connection"
)

// LimitKeys are the keys a limit may count by.
var LimitKeys = []string{LimitKeyTool, LimitKeyAgent, LimitKeyUser, LimitKeyConversation, LimitKeyConnection}

// CacheConfig answers repeated calls from a stored result.
type CacheConfig struct {
	// TTLS is how long, in seconds, a result is reused.
	TTLS int `json:"ttl_s" jsonschema_description:"How long, in seconds, a result is reused."`
	// Scope is CacheScopeWorkspace (one result for every caller, the
	// default) or CacheScopeUser (one per caller context user_id).
	Scope string `json:"scope,omitempty" jsonschema_description:"workspace: one result for every caller; user: one per caller (context user_id)."`
}

// Scopes of a CacheConfig.
const (
	CacheScopeWorkspace = "workspace"
	CacheScopeUser      = "user"
)

// Defaults and bounds of the guardrails.
const (
	ConfirmTTLSDefault      = 300
	ConfirmTTLSMax          = 3600
	ConfirmMessageMaxBytes  = 1000
	ApprovalTimeoutSDefault = 900
	ApprovalTimeoutSMin     = 60
	ApprovalTimeoutSMax     = 7 * 24 * 3600
	ApprovalMessageMaxBytes = 500
	LimitsMax               = 8
	RateMax                 = 1_000_000
	BurstMax                = 1_000_000
	ConcurrencyMax          = 1000
	CacheTTLSMax            = 24 * 3600
)

// TTL is how long the caller has to agree.
func (c *ConfirmConfig) TTL() time.Duration {
	return time.Duration(cmp.Or(c.TTLS, ConfirmTTLSDefault)) * time.Second
}

// Timeout is how long a request waits for a decision.
func (a *ApprovalConfig) Timeout() time.Duration {
	return time.Duration(cmp.Or(a.TimeoutS, ApprovalTimeoutSDefault)) * time.Second
}

// TTL is how long a result is reused.
func (c *CacheConfig) TTL() time.Duration { return time.Duration(c.TTLS) * time.Second }

// EffectiveScope returns Scope or CacheScopeWorkspace.
func (c *CacheConfig) EffectiveScope() string { return cmp.Or(c.Scope, CacheScopeWorkspace) }

// NeedsApproval reports whether every call must be approved by an admin.
func (d *Definition) NeedsApproval() bool { return d.Approval != nil && d.Approval.Required }

// Cacheable reports whether the tool's results are cached: it has a cache
// and is a GET or marked read_only.
func (d *Definition) Cacheable() bool {
	return d.Cache != nil && d.Cache.TTLS > 0 && (d.EffectiveMethod() == "GET" || d.ReadOnly)
}

// Guarded reports whether the tool has any guardrail.
func (d *Definition) Guarded() bool {
	return d.Confirm != nil || d.NeedsApproval() || len(d.Limits) > 0 || d.Cacheable()
}

// Rate is a parsed Limit.Rate: N calls per Per.
type Rate struct {
	N   int
	Per time.Duration
}

var errRate = errors.New(`must be "N/s", "N/m" or "N/h" with N a whole number from 1 to 1000000, e.g. "60/m"`)

// ParseRate parses "N/s", "N/m" or "N/h".
func ParseRate(s string) (Rate, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, errRate
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > RateMax {
		return Rate{}, errRate
	}
	per, ok := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
	if !ok {
		return Rate{}, errRate
	}
	return Rate{N: n, Per: per}, nil
}

// Interval is the time between calls at the limit's steady rate (zero for
// a concurrency limit or an invalid rate).
func (l *Limit) Interval() time.Duration {
	r, err := ParseRate(l.Rate)
	if err != nil {
		return 0
	}
	return r.Per / time.Duration(r.N)
}

// EffectiveBurst returns Burst, or the rate's N.
func (l *Limit) EffectiveBurst() int {
	if l.Burst > 0 {
		return l.Burst
	}
	r, _ := ParseRate(l.Rate)
	return r.N
}

// ParseLimits decodes a connection's stored limits.
func ParseLimits(raw json.RawMessage) ([]Limit, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var limits []Limit
	if err := json.Unmarshal(raw, &limits); err != nil {
		return nil, fmt.Errorf("decoding limits: %w", err)
	}
	return limits, nil
}

// Confirmation is what a call that needs the caller's agreement asks.
type Confirmation struct {
	// Message is the tool's confirm message, rendered with the call's
	// arguments: what to read back to the caller.
	Message string `json:"message"`
	// Token runs the call, once, when sent back with the same arguments
	// in the same conversation.
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// confirmationTokenProperty is the schema of ConfirmationTokenArgument as
// models see it on tools with a confirm.
var confirmationTokenProperty = json.RawMessage(`{"type":"string","description":"Leave this out unless the gateway asked for the caller's confirmation: then, once the caller agreed, send the confirmation token it gave, with the same arguments."}`)

// withConfirmationToken returns an object schema with the optional
// ConfirmationTokenArgument property added, keeping the order of what is
// there; anything else comes back as it is.
func withConfirmationToken(raw json.RawMessage) json.RawMessage {
	props := json.RawMessage(`{}`)
	if p, ok := objectMember(raw, "properties"); ok {
		props = p
	}
	props, ok := setMember(props, ConfirmationTokenArgument, confirmationTokenProperty)
	if !ok {
		return raw
	}
	out, ok := setMember(raw, "properties", props)
	if !ok {
		return raw
	}
	return out
}

// objectMember returns the value of member name of a JSON object.
func objectMember(obj json.RawMessage, name string) (json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return nil, false
	}
	v, ok := m[name]
	return v, ok
}

// setMember sets member name of a JSON object to value, in place if it is
// there, else last, keeping the other members and their order.
func setMember(obj json.RawMessage, name string, value json.RawMessage) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	set := false
	write := func(k string, v json.RawMessage) {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(v)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if key == name {
			v, set = value, true
		}
		write(key, v)
	}
	if !set {
		write(name, value)
	}
	buf.WriteByte('}')
	return buf.Bytes(), true
}

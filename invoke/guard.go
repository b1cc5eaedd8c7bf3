package invoke

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Guardrails run in the invoker, before anything is sent, so every
// surface gets them. A guarded call is first inspected (validated and
// rendered, without credentials), then, in order:
//
//  1. confirm (agents' calls): without a valid token, the call ends
//     needs_confirmation with a new token;
//  2. approval (agents' calls): the call becomes a run awaiting approval;
//  3. a background call is queued here (limits and the cache apply when
//     it runs);
//  4. cache: a hit answers from the store and sends nothing;
//  5. limits: concurrency slots, then rate buckets; over a limit the call
//     ends rate_limited (a background attempt waits instead);
//  6. the call is sent, its slots released, a success cached.
//
// Agents' calls go through all of them. Conversation flows' calls skip the
// confirmation (no model reads it back; the flow's author decides what
// the caller agrees to). Replays and draft tests (admins) go through the
// limits only.

// guards says which guardrails apply to a call.
type guards struct {
	// confirm and approval: the call asks the caller, and an admin, when
	// its tool says so.
	confirm, approval bool
	// cache: the call may be answered from the cache.
	cache bool
	// background: queue the call once confirmed and approved.
	background  bool
	token       string
	callbackURL string
}

// guarded reports whether a call (its connection attached) meets any
// guardrail that g applies.
func guarded(call *tools.Call, g guards) bool {
	d := call.Tool.Def
	if d == nil {
		return false
	}
	if (g.confirm && d.Confirm != nil) || (g.approval && d.NeedsApproval()) {
		return true
	}
	if g.background {
		return false // limits and the cache apply when it runs
	}
	return len(d.Limits) > 0 || (g.cache && d.Cacheable()) || (call.Conn != nil && len(call.Conn.Limits) > 0)
}

// runGuarded takes a call with guardrails through them (see above). The
// call's connection is attached.
func (iv *Invoker) runGuarded(ctx context.Context, call *tools.Call, g guards) (*tools.Result, error) {
	if call.RunID == "" {
		call.RunID = store.NewID() // the engine stamps the run with its own clock
	}
	in := iv.engine.Inspect(ctx, call)
	if in.Failed != nil {
		iv.engine.Recorder().Record(in.Record)
		return in.Failed, nil
	}
	def := call.Tool.Def
	if g.confirm && def.Confirm != nil {
		res, err := iv.confirm(ctx, call, in, g.token)
		if res != nil || err != nil {
			return res, err
		}
	}
	if g.approval && def.NeedsApproval() {
		return iv.requestApproval(ctx, call, in, g.callbackURL)
	}
	if g.background {
		res, record := iv.engine.Queued(in)
		timeout := time.Duration(def.EffectiveTimeoutMS()) * time.Millisecond
		if err := iv.queue.Submit(ctx, record, timeout, g.callbackURL); err != nil {
			return nil, err
		}
		return res, nil
	}
	res, record, wait, err := iv.send(ctx, call, in, g.cache)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		res, record = iv.limited(call, in, wait)
	}
	iv.engine.Recorder().Record(record)
	return res, nil
}

// send answers an inspected call from the cache (when allowed) or sends
// it within its limits, and returns its result and unrecorded run. A call
// a limit holds back returns how long to wait instead, and nothing else.
func (iv *Invoker) send(ctx context.Context, call *tools.Call, in *tools.Inspection, useCache bool) (*tools.Result, *store.Run, time.Duration, error) {
	key := ""
	if useCache && call.Tool.Def.Cacheable() {
		key = cacheKey(call, in)
		if res, record := iv.cacheLookup(ctx, call, in, key); res != nil {
			return res, record, 0, nil
		}
	}
	release, wait, err := iv.acquireLimits(ctx, call)
	if err != nil || wait > 0 {
		return nil, nil, wait, err
	}
	defer release()
	res, record := iv.engine.Execute(ctx, call)
	if key != "" && res.Outcome == tools.OutcomeSuccess {
		iv.cacheStore(ctx, call, key, res)
	}
	return res, record, 0, nil
}

// limited ends a call a limit held back: rate_limited, with when to try
// again; nothing was sent.
func (iv *Invoker) limited(call *tools.Call, in *tools.Inspection, wait time.Duration) (*tools.Result, *store.Run) {
	res, record := iv.engine.Stop(in, tools.OutcomeRateLimited, prompts.RateLimited(call.Tool.Name, wait),
		"held back by a limit; retry after "+wait.Round(time.Millisecond).String())
	res.RetryAfterMS = max(wait.Milliseconds(), 1)
	return res, record
}

// takeConfirmationToken returns the call's confirmation token (the REST
// field, else the _confirmation_token argument) and the arguments without
// that argument. Arguments that are not an object are left as they are.
func takeConfirmationToken(field string, args json.RawMessage) (string, json.RawMessage) {
	// Only arguments that may name it are parsed: the name as is, or
	// anything with an escape (a key may be spelled with \u escapes).
	if !bytes.Contains(args, []byte(tools.ConfirmationTokenArgument)) && !bytes.Contains(args, []byte(`\u`)) {
		return field, args
	}
	value, rest, ok := removeMember(args, tools.ConfirmationTokenArgument)
	if !ok {
		return field, args
	}
	if field == "" {
		_ = json.Unmarshal(value, &field) // null or not a string: no token
	}
	return field, rest
}

// removeMember removes member name from a JSON object, keeping the other
// members byte for byte and in order, and returns its value.
func removeMember(obj json.RawMessage, name string) (value, rest json.RawMessage, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, false
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, false
		}
		if key == name {
			value, ok = v, true
			continue
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(key)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return value, buf.Bytes(), ok
}

// conversationOf is the call's conversation, "" when the caller gave none.
func conversationOf(call *tools.Call) string {
	v, _ := call.Context["conversation_id"].(string)
	return v
}

// userOf is the call's caller, "" when the caller gave none.
func userOf(call *tools.Call) string {
	v, _ := call.Context["user_id"].(string)
	return v
}

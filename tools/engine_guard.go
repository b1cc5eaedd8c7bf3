package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/toolgate/toolgate/store"
)

// Inspection is a call validated and rendered, credentials left out,
// without anything sent: what the guardrails decide on before a request
// leaves the gateway. The engine's ways of ending it (Stop, FromCache,
// Queued) keep its run ID and rendered request in the record.
type Inspection struct {
	// Failed is the finished result of a call whose arguments or
	// configuration failed, and Record its unrecorded run; both are nil
	// for a call that can go on.
	Failed *Result
	Record *store.Run
	// Args are the validated arguments (numbers exact, as json.Number).
	Args map[string]any

	st *callState
}

// Inspect validates a call's arguments and renders its request without
// fetching credentials or sending anything (Check's first half). Set
// c.RunID first for the records of the call to share one ID.
func (e *Engine) Inspect(ctx context.Context, c *Call) *Inspection {
	st := e.begin(c, modeCheck)
	e.run(ctx, st)
	if st.result.Outcome != "" {
		res, record := e.finish(st)
		return &Inspection{Failed: res, Record: record}
	}
	args, _ := st.args.(map[string]any)
	if args == nil {
		args = map[string]any{}
	}
	return &Inspection{Args: args, st: st}
}

// identificationHeaders differ from call to call without changing what the
// upstream answers: the cache key leaves them out.
var identificationHeaders = []string{HeaderRunID, HeaderAgentID, HeaderTool, HeaderUserID, HeaderChannel, HeaderIdempotencyKey}

// RequestHash is the SHA-256 (hex) of the request as it would be sent,
// without credentials (added later) and without the identification
// headers. Known secret values are scrubbed first, so no key depends on a
// secret's value; nothing else is, since a value redacted by position (a
// "key" query parameter, an Authorization header rendered from the
// caller's context) is what tells one caller's request from another's.
func (in *Inspection) RequestHash() string {
	r := in.st.redactor
	req := in.st.req
	h := sha256.New()
	write := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	write(req.Method, r.String(req.URL))
	names := make([]string, 0, len(req.Header))
	for name := range req.Header {
		if !slices.Contains(identificationHeaders, http.CanonicalHeaderKey(name)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		write(strings.ToLower(name), r.String(strings.Join(req.Header[name], "\x00")))
	}
	write(req.ContentType, string(r.Bytes(req.Body)))
	return hex.EncodeToString(h.Sum(nil))
}

// ArgumentsHash is the SHA-256 (hex) of the validated arguments in a
// canonical form (object keys sorted, numbers as sent).
func (in *Inspection) ArgumentsHash() string {
	b, err := json.Marshal(in.Args)
	if err != nil {
		b = []byte(err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ConfirmMessage renders the tool's confirm message with the call's
// arguments and context; a value that is missing renders as nothing.
func (in *Inspection) ConfirmMessage() string {
	t := in.st.call.Tool.confirmMessage
	if t == nil {
		return ""
	}
	return t.executeLenient(&Scope{Args: in.Args, Context: in.st.call.Context})
}

// Stop ends an inspected call with a guardrail's outcome (nothing was
// sent): its result, with the message the model reads, and its
// unrecorded run, with detail for admins.
func (e *Engine) Stop(in *Inspection, outcome, modelMessage, detail string) (*Result, *store.Run) {
	st := in.st
	st.result.Outcome = outcome
	st.result.Result = json.RawMessage("null")
	if modelMessage != "" {
		st.result.Error = &CallError{Type: outcome, Message: modelMessage}
	}
	st.errText = detail
	res, record := e.finish(st)
	// Nothing was sent: the client's idempotency key stays free.
	record.IdempotencyKey = ""
	return res, record
}

// FromCache ends an inspected call with a cached result: a success that
// sent nothing upstream. The run is marked as a cache hit.
func (e *Engine) FromCache(in *Inspection, statusCode int, result json.RawMessage, truncated bool) (*Result, *store.Run) {
	st := in.st
	st.result.Outcome = OutcomeSuccess
	st.result.StatusCode = statusCode
	st.result.Result = result
	st.result.Truncated = truncated
	st.result.CacheHit = true
	res, record := e.finish(st)
	record.CacheHit = true
	return res, record
}

// Queued returns the result and record of an inspected call that is to
// run later (a background run, or one awaiting approval), as Check does.
func (e *Engine) Queued(in *Inspection) (*Result, *store.Run) { return e.queued(in.st) }

// executeLenient renders the template as plain text, a missing value as
// nothing: for messages a person reads, where a gap beats a failure.
func (t *Template) executeLenient(s *Scope) string {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.isPh {
			b.WriteString(p.lit)
			continue
		}
		ph := &t.placeholders[p.ph]
		v, ok := s.Lookup(ph)
		if !ok {
			continue
		}
		if txt, err := valueText("", ph, v); err == nil {
			b.WriteString(txt)
		}
	}
	return b.String()
}

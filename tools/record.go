package tools

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/toolgate/toolgate/redact"
	"github.com/toolgate/toolgate/store"
)

// buildRun builds the redacted run record of a finished call.
func (e *Engine) buildRun(st *callState) *store.Run {
	c := st.call
	r := st.redactor
	now := e.now().UTC()
	run := &store.Run{
		ID:             st.runID,
		WorkspaceID:    c.WorkspaceID,
		ToolID:         c.Tool.ToolID,
		ToolName:       c.Tool.Name,
		ToolVersion:    c.Tool.Version,
		AgentID:        c.AgentID,
		Status:         st.result.Status,
		Outcome:        st.result.Outcome,
		StatusCode:     st.result.StatusCode,
		Error:          validUTF8(r.String(st.errText)),
		DurationMS:     st.result.DurationMS,
		Result:         redactJSON(r, st.result.Result),
		Truncated:      st.result.Truncated,
		IdempotencyKey: validUTF8(c.IdempotencyKey),
		ReplayOf:       c.ReplayOf,
		CreatedAt:      cmp.Or(c.CreatedAt, st.start).UTC(),
		FinishedAt:     &now,
	}
	switch run.Outcome {
	case OutcomeInvalidArguments, OutcomeConfigError:
		// Nothing was sent: a retry with the same key after a fix must run.
		run.IdempotencyKey = ""
	}
	if v, ok := c.Context["conversation_id"].(string); ok {
		run.ConversationID = validUTF8(v)
	}
	// The JSON columns share one buffer.
	size := 1024 + len(c.Arguments)
	if st.req != nil {
		size += min(len(st.req.Body), e.runBodyMax)
	}
	if st.resp != nil {
		// The body is kept as a JSON string: a JSON body's quotes are
		// escaped, a byte each (counting them is cheaper than growing).
		kept := st.resp.Body[:min(len(st.resp.Body), e.runBodyMax)]
		size += len(kept) + bytes.Count(kept, []byte{'"'}) + bytes.Count(kept, []byte{'\\'}) + len(kept)/32
	}
	buf := make([]byte, 0, size)
	column := func(from int) json.RawMessage { return buf[from:len(buf):len(buf)] }

	from := len(buf)
	buf, err := appendJSONObject(buf, c.Context)
	if err != nil {
		buf = buf[:from]
		buf = appendJSONString(buf, err.Error())
	}
	run.Context = redactJSON(r, column(from))
	switch {
	case len(c.Arguments) > 0 && validJSON(c.Arguments) && utf8.Valid(c.Arguments):
		run.Arguments = redactJSON(r, c.Arguments) // as the model sent them: no re-encoding
	case st.args != nil:
		run.Arguments = redactJSON(r, mustJSON(st.args))
	default:
		// Invalid JSON or UTF-8 is kept as a (valid) JSON string.
		run.Arguments = mustJSON(validUTF8(r.String(string(c.Arguments))))
	}
	if st.req != nil {
		body, rb := recordBody(st.req.Body, nil, e.runBodyMax, r)
		from = len(buf)
		buf = appendRecordedRequest(buf, st.req.Method, r.URL(st.req.URL), st.req.Header, body, rb, r)
		run.Request = column(from)
	}
	attempt := Attempt{Attempt: max(c.Attempt, 1), Outcome: st.result.Outcome, StatusCode: st.result.StatusCode,
		DurationMS: st.result.DurationMS, StartedAt: st.start.UTC(), Error: run.Error}
	if run.Outcome == OutcomeBlocked {
		attempt.Error = "the destination was refused by the egress guard" // agents see attempts
	}
	if resp := st.resp; resp != nil {
		body, rb := recordBody(resp.Body, st.body, e.runBodyMax, r)
		from = len(buf)
		buf = appendRecordedResponse(buf, resp.StatusCode, resp.Header, body, resp.Truncated, rb, r)
		run.Response = column(from)
		t := resp.Timings
		from = len(buf)
		buf = appendTimings(buf, Timings{DNSMS: ms(t.DNS), ConnectMS: ms(t.Connect), TLSMS: ms(t.TLS), TTFBMS: ms(t.TTFB), TotalMS: ms(t.Total)})
		run.Timings = column(from)
	}
	from = len(buf)
	if len(c.PriorAttempts) == 0 {
		buf = appendAttempts(buf, []Attempt{attempt})
	} else {
		buf = appendAttempts(buf, append(slices.Clip(c.PriorAttempts), attempt))
	}
	run.Attempts = column(from)
	return run
}

// recordBody returns what a run keeps of a body: all of it when it has at
// most max bytes, else its first max bytes (cut at a character boundary)
// and the size and SHA-256 of the body as exchanged (so it can be matched
// against the other side's logs). What is kept is redacted: redacted is
// the whole body redacted, when the caller has it, else the window a kept
// secret could reach into is checked, and the whole body redacted only if
// it holds one.
func recordBody(body, redacted []byte, max int, r *redact.Redactor) ([]byte, RecordedBody) {
	if len(body) <= max {
		if redacted == nil {
			redacted = r.Bytes(body)
		}
		return redacted, RecordedBody{}
	}
	if redacted == nil {
		redacted = body
		if r.Matches(body[:min(len(body), max+r.MaxFormLen())]) {
			redacted = r.Bytes(body)
		}
	}
	cut := min(max, len(redacted))
	for cut > 0 && cut > max-utf8.UTFMax && cut < len(redacted) && !utf8.RuneStart(redacted[cut]) {
		cut--
	}
	sum := sha256.Sum256(body)
	return redacted[:cut], RecordedBody{BodyCut: true, BodyBytes: len(body), BodySHA256: hex.EncodeToString(sum[:])}
}

// recordedRequest is the redacted form of the rendered request, with its
// body when withBody.
func (e *Engine) recordedRequest(st *callState, withBody bool) *RecordedRequest {
	r := st.redactor
	req := &RecordedRequest{
		Method:  st.req.Method,
		URL:     r.URL(st.req.URL),
		Headers: r.Header(st.req.Header),
	}
	if withBody {
		req.Body = string(r.Bytes(st.req.Body))
	}
	return req
}

// observe updates the call metrics.
func (e *Engine) observe(st *callState) {
	m := e.metrics
	if m == nil {
		return
	}
	name := st.call.Tool.Name
	m.calls.WithLabelValues(name, st.result.Outcome).Inc()
	m.callLatency.WithLabelValues(name).Observe(st.result.DurationMS / 1000)
	if st.resp != nil {
		m.upstreamLatency.WithLabelValues(name).Observe(st.resp.Timings.Total.Seconds())
	}
}

// redactJSON scrubs a JSON document. A secret is replaced inside strings,
// which keeps the document valid; if scrubbing broke it (a secret spanning
// syntax), the scrubbed text is kept as a JSON string instead.
func redactJSON(r *redact.Redactor, doc json.RawMessage) json.RawMessage {
	out := r.Bytes(doc)
	if len(out) == 0 || (len(out) == len(doc) && &out[0] == &doc[0]) || validJSON(out) {
		return out // empty, unchanged, or still valid
	}
	return mustJSON(string(out))
}

// validUTF8 replaces invalid UTF-8 and NUL, which PostgreSQL refuses to
// store in text: a run holding either would not be stored at all.
func validUTF8(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(err.Error())
	}
	return b
}

// addQuery appends one query parameter to a URL string.
func addQuery(rawURL, name, value string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// queued returns the result and record of a call that passed Check: a
// queued background run. The record keeps the arguments and context as
// submitted (the attempts run from them); each attempt's record replaces
// them with the redacted copy.
func (e *Engine) queued(st *callState) (*Result, *store.Run) {
	c := st.call
	args := c.Arguments
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	run := &store.Run{
		ID: st.runID, WorkspaceID: c.WorkspaceID, ToolID: c.Tool.ToolID, ToolName: c.Tool.Name,
		ToolVersion: c.Tool.Version, AgentID: c.AgentID, Status: store.RunStatusQueued,
		Context: mustJSON(c.Context), Arguments: args, Attempts: json.RawMessage("[]"),
		IdempotencyKey: c.IdempotencyKey, ReplayOf: c.ReplayOf, CreatedAt: e.now().UTC(),
	}
	if t, ok := store.IDTime(run.ID); ok {
		run.CreatedAt = t // the run's ID carries its creation time
	}
	if v, ok := c.Context["conversation_id"].(string); ok {
		run.ConversationID = v
	}
	res := &Result{RunID: run.ID, Tool: run.ToolName, Version: run.ToolVersion, Status: run.Status,
		Result: json.RawMessage("null")}
	return res, run
}

package tools

import (
	"cmp"
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
	run.Context = redactJSON(r, mustJSON(c.Context))
	switch {
	case len(c.Arguments) > 0 && json.Valid(c.Arguments) && utf8.Valid(c.Arguments):
		run.Arguments = redactJSON(r, c.Arguments) // as the model sent them: no re-encoding
	case st.args != nil:
		run.Arguments = redactJSON(r, mustJSON(st.args))
	default:
		// Invalid JSON or UTF-8 is kept as a (valid) JSON string.
		run.Arguments = mustJSON(validUTF8(r.String(string(c.Arguments))))
	}
	if st.req != nil {
		run.Request = mustJSON(e.recordedRequest(st))
	}
	attempt := Attempt{Attempt: max(c.Attempt, 1), Outcome: st.result.Outcome, StatusCode: st.result.StatusCode,
		DurationMS: st.result.DurationMS, StartedAt: st.start.UTC(), Error: run.Error}
	if run.Outcome == OutcomeBlocked {
		attempt.Error = "the destination was refused by the egress guard" // agents see attempts
	}
	if st.resp != nil {
		run.Response = mustJSON(RecordedResponse{
			StatusCode: st.resp.StatusCode,
			Headers:    r.Header(st.resp.Header),
			Body:       string(r.Bytes(st.resp.Body)),
			Truncated:  st.resp.Truncated,
		})
		t := st.resp.Timings
		run.Timings = mustJSON(Timings{DNSMS: ms(t.DNS), ConnectMS: ms(t.Connect), TLSMS: ms(t.TLS), TTFBMS: ms(t.TTFB), TotalMS: ms(t.Total)})
	}
	attempts := append(slices.Clip(c.PriorAttempts), attempt)
	run.Attempts = mustJSON(attempts)
	return run
}

// recordedRequest is the redacted form of the rendered request.
func (e *Engine) recordedRequest(st *callState) *RecordedRequest {
	r := st.redactor
	return &RecordedRequest{
		Method:  st.req.Method,
		URL:     r.URL(st.req.URL),
		Headers: r.Header(st.req.Header),
		Body:    string(r.Bytes(st.req.Body)),
	}
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
	if len(out) == 0 || json.Valid(out) {
		return out
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

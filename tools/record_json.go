package tools

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/toolgate/toolgate/redact"
)

// The JSON of a run record, written by hand: a record was six calls of
// json.Marshal (reflection, a map copy of each header set, a buffer each),
// a tenth of the CPU of a small call. Each appender writes what
// json.Marshal writes for the same value, except that <, > and & are not
// escaped (as appendJSONString writes strings; both decode the same), and
// redacts as it goes where buildRun redacted a copy before encoding. A
// test holds them to json.Marshal.

// appendRecordedRequest appends req (its Body already cut) as
// RecordedRequest's JSON, the headers h redacted by r.
func appendRecordedRequest(b []byte, method, url string, h http.Header, body []byte, rb RecordedBody, r *redact.Redactor) []byte {
	b = append(b, `{"method":`...)
	b = appendJSONString(b, method)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, url)
	b = append(b, `,"headers":`...)
	b = appendHeaderJSON(b, h, r)
	if len(body) > 0 {
		b = append(b, `,"body":`...)
		b = appendJSONString(b, body)
	}
	b = appendRecordedBody(b, rb)
	return append(b, '}')
}

// appendRecordedResponse appends a RecordedResponse's JSON, the headers h
// redacted by r.
func appendRecordedResponse(b []byte, status int, h http.Header, body []byte, truncated bool, rb RecordedBody, r *redact.Redactor) []byte {
	b = append(b, `{"status_code":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"headers":`...)
	b = appendHeaderJSON(b, h, r)
	b = append(b, `,"body":`...)
	b = appendJSONString(b, body)
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, truncated)
	b = appendRecordedBody(b, rb)
	return append(b, '}')
}

func appendRecordedBody(b []byte, rb RecordedBody) []byte {
	if rb.BodyCut {
		b = append(b, `,"body_cut":true`...)
	}
	if rb.BodyBytes != 0 {
		b = append(b, `,"body_bytes":`...)
		b = strconv.AppendInt(b, int64(rb.BodyBytes), 10)
	}
	if rb.BodySHA256 != "" {
		b = append(b, `,"body_sha256":`...)
		b = appendJSONString(b, rb.BodySHA256)
	}
	return b
}

// appendHeaderJSON appends h as json.Marshal writes redact's Header(h):
// names sorted, each value redacted.
func appendHeaderJSON(b []byte, h http.Header, r *redact.Redactor) []byte {
	if h == nil {
		return append(b, "null"...)
	}
	var stack [16]string
	names := stack[:0]
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = append(b, '[')
		for j, v := range h[name] {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, r.HeaderValue(name, v))
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendTimings appends Timings' JSON.
func appendTimings(b []byte, t Timings) []byte {
	b = append(b, `{"dns_ms":`...)
	b = appendJSONFloat(b, t.DNSMS)
	b = append(b, `,"connect_ms":`...)
	b = appendJSONFloat(b, t.ConnectMS)
	b = append(b, `,"tls_ms":`...)
	b = appendJSONFloat(b, t.TLSMS)
	b = append(b, `,"ttfb_ms":`...)
	b = appendJSONFloat(b, t.TTFBMS)
	b = append(b, `,"total_ms":`...)
	b = appendJSONFloat(b, t.TotalMS)
	return append(b, '}')
}

// appendAttempts appends a list of Attempt as JSON.
func appendAttempts(b []byte, attempts []Attempt) []byte {
	if attempts == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, a := range attempts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"attempt":`...)
		b = strconv.AppendInt(b, int64(a.Attempt), 10)
		b = append(b, `,"outcome":`...)
		b = appendJSONString(b, a.Outcome)
		if a.StatusCode != 0 {
			b = append(b, `,"status_code":`...)
			b = strconv.AppendInt(b, int64(a.StatusCode), 10)
		}
		b = append(b, `,"duration_ms":`...)
		b = appendJSONFloat(b, a.DurationMS)
		b = append(b, `,"started_at":`...)
		b = appendJSONTime(b, a.StartedAt)
		if a.Error != "" {
			b = append(b, `,"error":`...)
			b = appendJSONString(b, a.Error)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONObject appends a map as json.Marshal does (keys sorted),
// values of common types written directly. It fails as json.Marshal fails
// (a NaN, a channel).
func appendJSONObject(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var stack [16]string
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendJSONAny(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendJSONAny appends v as json.Marshal does.
func appendJSONAny(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case float64:
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			return appendJSONFloat(b, v), nil
		}
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case json.Number:
		if isJSONNumber(string(v)) {
			return append(b, v...), nil
		}
	case map[string]any:
		return appendJSONObject(b, v)
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSONAny(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, data...), nil
}

// appendJSONFloat appends f as encoding/json writes a float64.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONTime appends t as its MarshalJSON writes it (RFC 3339 with
// nanoseconds, quoted).
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

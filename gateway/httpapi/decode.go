package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/problem"
)

// MaxRequestBytes bounds every request body.
const MaxRequestBytes = 1 << 20

// bodyReadTimeout bounds how long a client may take to send a body, so a
// slow drip cannot hold a connection.
const bodyReadTimeout = 30 * time.Second

// ReadBody reads the request body up to MaxRequestBytes within
// bodyReadTimeout.
func ReadBody(c *gin.Context) ([]byte, error) { return ReadBodyUpTo(c, MaxRequestBytes) }

// ReadBodyUpTo reads the request body up to limit bytes within
// bodyReadTimeout, for the few routes whose bodies may be larger than
// MaxRequestBytes (an OpenAPI document to import).
func ReadBodyUpTo(c *gin.Context, limit int64) ([]byte, error) {
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout)) // unsupported writers (tests) just skip it
	defer rc.SetReadDeadline(time.Time{})
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	var buf bytes.Buffer
	if n := c.Request.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead) // one allocation, and ReadFrom needs room to see EOF
	}
	if _, err := buf.ReadFrom(c.Request.Body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeJSON decodes the request body into v strictly: unknown fields,
// trailing data and malformed JSON are 400s that say what is wrong.
func DecodeJSON(c *gin.Context, v any) error {
	data, err := ReadBody(c)
	if err != nil {
		return err
	}
	return problem.DecodeJSON(data, v)
}

// IsObjectOrEmpty reports whether raw is absent, null or a JSON object
// (decoding has already proved it is valid JSON).
func IsObjectOrEmpty(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null" || raw[0] == '{'
}

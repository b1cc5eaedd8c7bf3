package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// MaxRequestBytes bounds every request body.
const MaxRequestBytes = 1 << 20

// bodyReadTimeout bounds how long a client may take to send a body, so a
// slow drip cannot hold a connection.
const bodyReadTimeout = 30 * time.Second

// readBody reads the request body up to MaxRequestBytes within
// bodyReadTimeout.
func readBody(c *gin.Context) ([]byte, error) {
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout)) // unsupported writers (tests) just skip it
	defer rc.SetReadDeadline(time.Time{})
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxRequestBytes)
	return io.ReadAll(c.Request.Body)
}

// decodeJSON decodes the request body into v strictly: unknown fields,
// trailing data and malformed JSON are 400s that say what is wrong.
func decodeJSON(c *gin.Context, v any) error {
	data, err := readBody(c)
	if err != nil {
		return err
	}
	return unmarshalStrict(data, v)
}

// unmarshalStrict decodes data into v refusing unknown fields.
func unmarshalStrict(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return badRequest("request body is empty: send a JSON object", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("request body has data after the JSON value", nil)
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax), nil)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(root)"
		}
		return badRequest(fmt.Sprintf("field %s: expected %s, got JSON %s", field, typ.Type, typ.Value),
			map[string]string{"field": field})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: unexpected end of input", nil)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return badRequest(fmt.Sprintf("unknown field %q", name), map[string]string{"field": name})
	}
	return badRequest("malformed JSON: "+err.Error(), nil)
}

// mergePatch applies an RFC 7386 JSON merge patch to target.
func mergePatch(target, patch []byte) ([]byte, error) {
	var t, p any
	if len(target) > 0 {
		if err := json.Unmarshal(target, &t); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, jsonError(err)
	}
	return json.Marshal(mergeValue(t, p))
}

func mergeValue(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergeValue(tm[k], v)
	}
	return tm
}

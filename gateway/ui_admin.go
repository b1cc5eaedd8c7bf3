package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/tools"
)

// adminCall runs an admin API handler for a console action, so that the
// console's writes go through exactly the API's validation and logic. body
// (if not nil) is sent as the JSON request body; params are the route
// parameters. A handler error is returned as it is; otherwise the status
// and JSON body the handler wrote.
func (s *Server) adminCall(c *gin.Context, h handler, body any, params gin.Params) (int, []byte, error) {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return 0, nil, err
		}
	}
	r := c.Request.Clone(c.Request.Context())
	r.Method = http.MethodPost
	r.Header = http.Header{"Content-Type": {"application/json"}}
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.ContentLength = int64(len(data))
	r.Form, r.PostForm, r.MultipartForm = nil, nil, nil
	r.URL.RawQuery = ""

	w := &captureWriter{header: http.Header{}}
	sub := gin.CreateTestContextOnly(w, s.router)
	sub.Request = r
	sub.Params = params
	sub.Set(principalKey, who(c))
	if err := h(sub); err != nil {
		return 0, nil, err
	}
	return sub.Writer.Status(), w.body.Bytes(), nil
}

// adminCallJSON is adminCall decoding the answer into out.
func (s *Server) adminCallJSON(c *gin.Context, h handler, body any, params gin.Params, out any) (int, error) {
	status, raw, err := s.adminCall(c, h, body, params)
	if err != nil {
		return 0, err
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return status, fmt.Errorf("decoding admin answer: %w", err)
		}
	}
	return status, nil
}

// captureWriter records what a handler writes.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *captureWriter) Header() http.Header { return w.header }

func (w *captureWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *captureWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}

// idParam is the route parameters of a handler that reads :id.
func idParam(id string) gin.Params { return gin.Params{{Key: "id", Value: id}} }

// fieldErrorDetails turns validation details into display lines.
func fieldErrorDetails(details any) []uiDetail {
	errs, ok := details.([]tools.FieldError)
	if !ok {
		return nil
	}
	out := make([]uiDetail, 0, len(errs))
	for _, e := range errs {
		out = append(out, uiDetail{Path: e.Path, Message: e.Message})
	}
	return out
}

package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/gateway/httpapi"
)

// errClientGone is the error of a write to a client that has gone.
var errClientGone = errors.New("the client closed the stream")

// stepSeparator stands between the texts of two steps of one turn (the
// model said something, called a tool, then answered).
const stepSeparator = "\n\n"

// sseWriter sends a turn's answer as server-sent chat.completion.chunk
// events while the model streams it. Nothing is written before the first
// piece of text (or the end of the turn), so a turn that fails before is
// answered with an ordinary error status.
type sseWriter struct {
	c            *gin.Context
	id           string
	created      int64
	model        string
	includeUsage bool
	errors       httpapi.Errors

	started bool
	// wroteText is whether any text was sent; stepText whether the
	// current step sent some.
	wroteText, stepText bool
	fingerprint         string
}

// newStep marks the start of the next model request.
func (w *sseWriter) newStep() { w.stepText = false }

// chunk is an event's object, choices given.
func (w *sseWriter) chunk(choices []chunkChoice) chunk {
	c := chunk{ID: w.id, Object: "chat.completion.chunk", Created: w.created, Model: w.model,
		SystemFingerprint: w.fingerprint, Choices: choices}
	if w.includeUsage {
		c.Usage = json.RawMessage("null")
	}
	return c
}

// start writes the headers and the first chunk, which gives the role.
func (w *sseWriter) start() error {
	if w.started {
		return nil
	}
	w.started = true
	h := w.c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.c.Writer.WriteHeader(http.StatusOK)
	empty := ""
	return w.send(w.chunk([]chunkChoice{{Delta: chunkDelta{Role: "assistant", Content: &empty}}}))
}

// text forwards a piece of the model's answer.
func (w *sseWriter) text(d delta) error {
	if d.fingerprint != "" {
		w.fingerprint = d.fingerprint
	}
	if err := w.start(); err != nil {
		return err
	}
	var out chunkDelta
	if d.content != "" {
		content := d.content
		if w.wroteText && !w.stepText {
			content = stepSeparator + content
		}
		out.Content = &content
		w.wroteText, w.stepText = true, true
	}
	if d.refusal != "" {
		out.Refusal = &d.refusal
	}
	return w.send(w.chunk([]chunkChoice{{Delta: out, Logprobs: d.logprobs}}))
}

// finish ends the answer: the finish reason, the usage when asked for,
// and [DONE].
func (w *sseWriter) finish(reason string, u usage) error {
	if err := w.start(); err != nil {
		return err
	}
	if err := w.send(w.chunk([]chunkChoice{{Delta: chunkDelta{}, FinishReason: &reason}})); err != nil {
		return err
	}
	if w.includeUsage {
		last := w.chunk([]chunkChoice{})
		last.Usage, _ = json.Marshal(u)
		if err := w.send(last); err != nil {
			return err
		}
	}
	return w.write([]byte("data: [DONE]\n\n"))
}

// fail ends a stream that has started with an error event, in the one
// error shape (OpenAI's SDKs raise it); before the stream started it is an
// ordinary error answer.
func (w *sseWriter) fail(err error) error {
	if !w.started {
		return err
	}
	pub := httpapi.PublicOf(err)
	if pub.Status >= 500 {
		w.errors.Log.ErrorContext(w.c.Request.Context(), "chat completion stream failed", slog.Any("err", err))
	}
	body, _ := json.Marshal(httpapi.ErrorBody{Error: httpapi.ErrorDetail{Type: pub.Type, Message: pub.Message, Details: pub.Details}})
	_ = w.write(append(append([]byte("data: "), body...), '\n', '\n'))
	return nil
}

func (w *sseWriter) send(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.write(append(append([]byte("data: "), data...), '\n', '\n'))
}

func (w *sseWriter) write(b []byte) error {
	if _, err := w.c.Writer.Write(b); err != nil {
		return fmt.Errorf("%w: %v", errClientGone, err)
	}
	w.c.Writer.Flush()
	return nil
}

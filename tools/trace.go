package tools

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/store"
)

// tracerName is the instrumentation scope of a call's step spans.
const tracerName = "github.com/toolgate/toolgate/tools"

// Names of the spans of a call's steps, children of the call's span.
const (
	SpanValidate   = "toolgate.validate"
	SpanRender     = "toolgate.render"
	SpanOAuthToken = "toolgate.oauth_token"
	SpanRecord     = "toolgate.record"
	// The upstream request's span is named after its method ("GET"), as
	// the HTTP semantic conventions name client spans.
)

// childSpan starts a span under the span in ctx, on that span's pipeline.
// When ctx holds no recording span (tracing is off, or this trace is not
// sampled) it starts nothing and returns a nil span: the call path then
// pays one context lookup per step.
func childSpan(ctx context.Context, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, nil
	}
	return parent.TracerProvider().Tracer(tracerName).Start(ctx, name, trace.WithSpanKind(kind))
}

// stepSpans traces a call's consecutive steps (validation, then rendering):
// next ends the step before and starts the next; end ends the last. A step
// during which the call failed ends with the outcome as its error.
type stepSpans struct {
	ctx  context.Context
	st   *callState
	span trace.Span
}

// traceSteps starts the first step of a call.
func traceSteps(ctx context.Context, st *callState, first string) stepSpans {
	s := stepSpans{ctx: ctx, st: st}
	s.next(first)
	return s
}

func (s *stepSpans) next(name string) {
	s.end()
	_, s.span = childSpan(s.ctx, name, trace.SpanKindInternal)
}

func (s *stepSpans) end() {
	if s.span == nil {
		return
	}
	if outcome := s.st.result.Outcome; outcome != "" && outcome != OutcomeSuccess && outcome != "dry_run" {
		s.span.SetAttributes(attribute.String("error.type", outcome))
		s.span.SetStatus(codes.Error, outcome)
	}
	s.span.End()
	s.span = nil
}

// do sends the upstream request through the guard in a client span, with
// the W3C trace context (traceparent) in its headers when the call is
// traced. The span carries the method, the upstream's host and the status,
// never the URL's path or query (they hold arguments and API keys).
func (e *Engine) do(ctx context.Context, req *http.Request, opts egress.Options) (*egress.Response, error) {
	ctx, span := childSpan(ctx, req.Method, trace.SpanKindClient)
	if trace.SpanContextFromContext(ctx).IsValid() {
		// The run records the headers as rendered; the trace context is
		// the exchange's own.
		req.Header = req.Header.Clone()
		propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	resp, err := e.client.Do(ctx, req, opts)
	if span == nil {
		return resp, err
	}
	defer span.End()
	span.SetAttributes(
		attribute.String("http.request.method", req.Method),
		attribute.String("server.address", req.URL.Hostname()),
		attribute.String("url.scheme", req.URL.Scheme),
	)
	if port := req.URL.Port(); port != "" {
		if n, perr := strconv.Atoi(port); perr == nil {
			span.SetAttributes(attribute.Int("server.port", n))
		}
	}
	if err != nil {
		outcome := egress.Classify(err)
		span.SetAttributes(attribute.String("error.type", outcome))
		span.SetStatus(codes.Error, outcome)
		return resp, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetAttributes(attribute.String("error.type", strconv.Itoa(resp.StatusCode)))
		span.SetStatus(codes.Error, "")
	}
	return resp, nil
}

// token gets a connection's OAuth2 access token in its own span. The span
// says whether a refused token was being replaced and whether an admin
// must act, never the token or the provider's answer.
func (e *Engine) token(ctx context.Context, workspaceID string, conn *Connection, rejected string) (string, error) {
	ctx, span := childSpan(ctx, SpanOAuthToken, trace.SpanKindInternal)
	tok, err := e.tokens.Token(ctx, workspaceID, conn, rejected)
	if span == nil {
		return tok, err
	}
	defer span.End()
	span.SetAttributes(attribute.Bool("toolgate.oauth.replacing_rejected", rejected != ""))
	if err != nil {
		errType := "token_error"
		switch {
		case errors.Is(err, ErrNeedsReauth):
			errType = "needs_reauth"
		case errors.Is(err, egress.ErrBlocked):
			errType = OutcomeBlocked
		}
		span.SetAttributes(attribute.String("error.type", errType))
		span.SetStatus(codes.Error, errType)
	}
	return tok, err
}

// record queues a finished call's run in a span of its own.
func (e *Engine) record(ctx context.Context, run *store.Run) {
	_, span := childSpan(ctx, SpanRecord, trace.SpanKindInternal)
	e.recorder.Record(run)
	if span != nil {
		span.End()
	}
}

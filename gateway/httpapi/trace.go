package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of the server spans.
const tracerName = "github.com/toolgate/toolgate/gateway"

// Trace starts a server span per request, continuing the W3C trace context
// (traceparent) a client sent. The span is named after the method and the
// route pattern ("POST /v1/tools/:name/call") and carries the method, the
// route and the status: never the query, a header or the body. Health
// probes and /metrics are not traced.
func Trace(tp trace.TracerProvider) gin.HandlerFunc {
	tracer := tp.Tracer(tracerName)
	var prop propagation.TraceContext
	return func(c *gin.Context) {
		route := c.FullPath()
		switch route {
		case "/healthz", "/readyz", "/metrics":
			c.Next()
			return
		}
		ctx := prop.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		name := c.Request.Method
		attrs := []attribute.KeyValue{attribute.String("http.request.method", c.Request.Method)}
		if route != "" {
			name += " " + route
			attrs = append(attrs, attribute.String("http.route", route))
		}
		ctx, span := tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		defer span.End()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		status := c.Writer.Status()
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetAttributes(attribute.String("error.type", strconv.Itoa(status)))
			span.SetStatus(codes.Error, "")
		}
	}
}

// TraceFromHeader returns ctx with its trace context replaced by the one
// header carries (traceparent), or by none. Work done on a long-lived
// context on behalf of a later request (an MCP session's tool calls run on
// the context of the request that opened the session) then belongs to that
// request's trace, not to the ended span of the first request.
func TraceFromHeader(ctx context.Context, header http.Header) context.Context {
	ctx = trace.ContextWithSpanContext(ctx, trace.SpanContext{})
	return propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(header))
}

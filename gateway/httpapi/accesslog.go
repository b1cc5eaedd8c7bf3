package httpapi

import (
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolgate/toolgate/invoke"
)

// maxLoggedPath bounds the path in an access log line (an unknown route's
// path is whatever a client sent).
const maxLoggedPath = 256

// AccessLog logs one line per request, "request", with the method, the
// route pattern, the path (never the query string, which may hold keys or
// OAuth codes), the status, the duration, the bytes written, the runs the
// request's tool calls produced (run_id, or run_ids and runs for several)
// and the trace ID when the request is traced. No header is logged. Health
// probes (/healthz, /readyz) log at debug level.
func AccessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		ctx, runs := invoke.WithRunIDs(c.Request.Context())
		c.Request = c.Request.WithContext(ctx)
		c.Next()

		route := c.FullPath()
		level := slog.LevelInfo
		if route == "/healthz" || route == "/readyz" {
			level = slog.LevelDebug
		}
		if !log.Enabled(ctx, level) {
			return
		}
		path := c.Request.URL.Path
		if len(path) > maxLoggedPath {
			path = path[:maxLoggedPath] + "..."
		}
		attrs := make([]slog.Attr, 0, 10)
		attrs = append(attrs,
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.String("path", path),
			slog.Int("status", c.Writer.Status()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
		)
		switch ids := runs.IDs(); len(ids) {
		case 0:
		case 1:
			attrs = append(attrs, slog.String("run_id", ids[0]))
		default:
			attrs = append(attrs, slog.Any("run_ids", ids), slog.Int("runs", runs.Count()))
		}
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
		}
		log.LogAttrs(ctx, level, "request", attrs...)
	}
}

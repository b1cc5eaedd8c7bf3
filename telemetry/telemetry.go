// Package telemetry sets up toolgate's OpenTelemetry traces: spans are
// exported over OTLP as the standard OTEL_EXPORTER_OTLP_* environment
// variables say (endpoint, protocol, headers, timeout, TLS), and tracing is
// off unless OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// is set. OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER
// and OTEL_BSP_* apply as the OpenTelemetry SDK defines them.
//
// The packages that make spans (gateway, invoke, tools) take a
// trace.TracerProvider; with tracing off they get none and make no spans.
package telemetry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ServiceNameDefault is the service.name of toolgate's spans unless
// OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says
// otherwise.
const ServiceNameDefault = "toolgate"

// Config is what Setup needs beyond the environment.
type Config struct {
	// ServiceVersion is the service.version of every span's resource.
	ServiceVersion string
	// Logger receives export failures. Defaults to slog.Default().
	Logger *slog.Logger
}

// Tracing is the process's trace pipeline. The zero value and a nil
// *Tracing are off.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// Enabled reports whether the environment asks for traces: an OTLP endpoint
// is set (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
// and neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none.
func Enabled(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")), "none") {
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup builds the trace pipeline the process environment asks for: an OTLP
// exporter (http/protobuf, or grpc when OTEL_EXPORTER_OTLP_PROTOCOL or
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL says so) behind a batching span
// processor, or nothing when tracing is off. Shutdown flushes it.
func Setup(ctx context.Context, cfg Config) (*Tracing, error) {
	if !Enabled(os.Getenv) {
		return &Tracing{}, nil
	}
	exporter, err := newExporter(ctx, os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", ServiceNameDefault)),
		resource.WithAttributes(attribute.String("service.version", cfg.ServiceVersion)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	log := cmp.Or(cfg.Logger, slog.Default())
	// Export failures are reported through the SDK's one, global handler.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("OpenTelemetry", "err", err)
	}))
	return &Tracing{provider: sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(res),
	)}, nil
}

// newExporter makes the OTLP exporter of the protocol the environment
// names; the exporter reads the rest of OTEL_EXPORTER_OTLP_* itself.
func newExporter(ctx context.Context, getenv func(string) string) (*otlptrace.Exporter, error) {
	protocol := cmp.Or(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), getenv("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/protobuf")
	switch strings.TrimSpace(protocol) {
	case "http/protobuf":
		return otlptracehttp.New(ctx)
	case "grpc":
		return otlptracegrpc.New(ctx)
	}
	return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q is not supported: use http/protobuf or grpc", protocol)
}

// TracerProvider is the provider to make spans with, or nil when tracing is
// off.
func (t *Tracing) TracerProvider() trace.TracerProvider {
	if t == nil || t.provider == nil {
		return nil
	}
	return t.provider
}

// Enabled reports whether spans are exported.
func (t *Tracing) Enabled() bool { return t != nil && t.provider != nil }

// ForceFlush exports every ended span now.
func (t *Tracing) ForceFlush(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.provider.ForceFlush(ctx)
}

// Shutdown exports the spans still buffered and stops the pipeline. It is
// idempotent.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

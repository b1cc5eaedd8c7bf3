package telemetry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/telemetry"
	"github.com/toolgate/toolgate/telemetry/telemetrytest"
)

func TestEnabled(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "x=y"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "otlp"}, true},
	}
	for _, tt := range tests {
		if got := telemetry.Enabled(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("Enabled(%v) = %v, want %v", tt.env, got, tt.want)
		}
	}
}

// TestSetupOff: without an endpoint there is no provider and nothing to
// flush.
func TestSetupOff(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tr, err := telemetry.Setup(context.Background(), telemetry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Enabled() || tr.TracerProvider() != nil {
		t.Errorf("tracing is on without an endpoint")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

// TestSetupExports: spans reach an OTLP receiver over each protocol, with
// the service's resource; OTEL_SERVICE_NAME wins over the default name.
func TestSetupExports(t *testing.T) {
	tests := []struct {
		protocol    string
		newReceiver func(testing.TB) *telemetrytest.Receiver
		serviceName string
	}{
		{"", telemetrytest.NewReceiver, ""},
		{"http/protobuf", telemetrytest.NewReceiver, "gateway-eu"},
		{"grpc", telemetrytest.NewGRPCReceiver, ""},
	}
	for _, tt := range tests {
		t.Run(tt.protocol, func(t *testing.T) {
			rcv := tt.newReceiver(t)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", tt.protocol)
			t.Setenv("OTEL_SERVICE_NAME", tt.serviceName)
			ctx := context.Background()
			tr, err := telemetry.Setup(ctx, telemetry.Config{ServiceVersion: "v1.2.3"})
			if err != nil {
				t.Fatal(err)
			}
			_, span := tr.TracerProvider().Tracer("test").Start(ctx, "work")
			span.End()
			if err := tr.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			spans := rcv.Spans()
			if len(spans) != 1 || spans[0].Name != "work" {
				t.Fatalf("received %+v, want the one span", spans)
			}
			wantName := tt.serviceName
			if wantName == "" {
				wantName = telemetry.ServiceNameDefault
			}
			if res := spans[0].Resource; res["service.name"] != wantName || res["service.version"] != "v1.2.3" {
				t.Errorf("resource %v, want service %s v1.2.3", res, wantName)
			}
		})
	}
}

func TestSetupRefusesUnknownProtocol(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	if _, err := telemetry.Setup(context.Background(), telemetry.Config{}); err == nil || !strings.Contains(err.Error(), "http/json") {
		t.Errorf("Setup with http/json: %v, want an error naming it", err)
	}
}

package invoke

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// tracerName is the instrumentation scope of the tool call spans.
const tracerName = "github.com/toolgate/toolgate/invoke"

// OperationExecuteTool is gen_ai.operation.name of a tool call's span.
const OperationExecuteTool = "execute_tool"

// Attributes of a tool call's span: the OpenTelemetry GenAI semantic
// conventions where they name the fact, toolgate.* otherwise. Never the
// arguments, the context or anything secret.
const (
	AttrOperationName = "gen_ai.operation.name"
	AttrToolName      = "gen_ai.tool.name"
	AttrToolCallID    = "gen_ai.tool.call.id"
	AttrAgentID       = "gen_ai.agent.id"
	AttrRunID         = "toolgate.run_id"
	AttrWorkspaceID   = "toolgate.workspace_id"
	AttrToolVersion   = "toolgate.tool.version"
	AttrOutcome       = "toolgate.outcome"
	AttrStatusCode    = "http.response.status_code"
	AttrErrorType     = "error.type"
)

// maxSpanToolName bounds the tool name put in a span's name and attributes
// (a model may send any name).
const maxSpanToolName = 128

// newTracer is the tracer of the tool call spans, or nil when tracing is off.
func newTracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		return nil
	}
	return tp.Tracer(tracerName)
}

// callSpan names the call a span is started for.
type callSpan struct {
	workspaceID, agentID, tool, toolCallID string
}

// startCall starts the span of one tool call, "execute_tool NAME" (the
// name is filled in at the end when only the result knows it). With
// tracing off it starts nothing and returns a nil span.
func (iv *Invoker) startCall(ctx context.Context, c callSpan) (context.Context, trace.Span) {
	if iv.tracer == nil {
		return ctx, nil
	}
	tool := c.tool[:min(len(c.tool), maxSpanToolName)]
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs, attribute.String(AttrOperationName, OperationExecuteTool),
		attribute.String(AttrWorkspaceID, c.workspaceID))
	if tool != "" {
		attrs = append(attrs, attribute.String(AttrToolName, tool))
	}
	if c.agentID != "" {
		attrs = append(attrs, attribute.String(AttrAgentID, c.agentID))
	}
	if c.toolCallID != "" {
		attrs = append(attrs, attribute.String(AttrToolCallID, c.toolCallID[:min(len(c.toolCallID), maxSpanToolName)]))
	}
	name := OperationExecuteTool
	if tool != "" {
		name += " " + tool
	}
	return iv.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
}

// endCall notes the call's run for the request that made it (see
// WithRunIDs) and ends its span with what the call came to: the run, the
// outcome and the upstream's status. A call that could not be served at all
// ends with the problem's type as error.type.
func endCall(ctx context.Context, span trace.Span, res *tools.Result, err error) {
	if res != nil {
		noteRun(ctx, res.RunID)
	}
	if span == nil {
		return
	}
	defer span.End()
	if err != nil {
		errType := "internal_error"
		if pe, ok := problem.As(err); ok {
			errType = pe.TypeName()
		}
		span.SetAttributes(attribute.String(AttrErrorType, errType))
		span.SetStatus(codes.Error, errType)
		return
	}
	if res == nil {
		return
	}
	if res.Tool != "" {
		tool := res.Tool[:min(len(res.Tool), maxSpanToolName)]
		span.SetName(OperationExecuteTool + " " + tool)
		span.SetAttributes(attribute.String(AttrToolName, tool))
	}
	outcome := res.Outcome
	if outcome == "" {
		outcome = res.Status // queued
	}
	span.SetAttributes(
		attribute.String(AttrRunID, res.RunID),
		attribute.Int(AttrToolVersion, res.Version),
		attribute.String(AttrOutcome, outcome),
	)
	if res.StatusCode != 0 {
		span.SetAttributes(attribute.Int(AttrStatusCode, res.StatusCode))
	}
	// A call that went as asked leaves the status unset, as OpenTelemetry
	// asks of instrumentation.
	switch {
	case res.OK, res.Status == store.RunStatusQueued, res.Status == store.RunStatusRunning, res.Outcome == "dry_run":
	default:
		span.SetAttributes(attribute.String(AttrErrorType, outcome))
		span.SetStatus(codes.Error, outcome)
	}
}

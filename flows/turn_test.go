package flows

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/tools"
)

// TestRenderTextShowsMissingValuesAsEmpty renders messages over variables
// as a turn holds them: a missing value is empty text and named once, and
// a present value is shown as it is even when a path below it is missing.
func TestRenderTextShowsMissingValuesAsEmpty(t *testing.T) {
	vars := map[string]any{
		"order":  "shipped",
		"ticket": map[string]any{"id": "T-77", "lines": []any{map[string]any{"sku": "SKU-1"}}, "note": nil},
	}
	callerCtx := map[string]any{"channel": "whatsapp"}
	tests := []struct {
		src     string
		want    string
		missing []string
	}{
		{src: "{{variables.order}} / {{variables.order.status}}", want: "shipped / ",
			missing: []string{"{{variables.order.status}}"}},
		{src: "{{variables.order.status}} / {{variables.order}}", want: " / shipped",
			missing: []string{"{{variables.order.status}}"}},
		{src: "Ticket {{variables.ticket.id}} on {{context.channel}}", want: "Ticket T-77 on whatsapp"},
		{src: "{{variables.ticket.lines[0].sku}}|{{variables.ticket.lines[3].sku}}|{{variables.ticket.lines[0].sku.x}}",
			want: "SKU-1||", missing: []string{"{{variables.ticket.lines[3].sku}}", "{{variables.ticket.lines[0].sku.x}}"}},
		{src: "{{variables.a.b.c}}-{{variables.a.b.c}}-{{context.user.name}}-{{variables.ticket.note}}", want: "---",
			missing: []string{"{{variables.a.b.c}}", "{{context.user.name}}", "{{variables.ticket.note}}"}},
		// The ticket itself is shown whole, not changed by a missing path
		// below it.
		{src: "{{variables.ticket.id.x}}{{variables.ticket}}", want: `{"id":"T-77","lines":[{"sku":"SKU-1"}],"note":null}`,
			missing: []string{"{{variables.ticket.id.x}}"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tmpl, err := tools.ParseTemplateWith(tt.src, parseOptions)
			if err != nil {
				t.Fatal(err)
			}
			got, missing := renderText(tmpl, &tools.Scope{Variables: vars, Context: callerCtx})
			if got != tt.want {
				t.Errorf("renderText = %q, want %q", got, tt.want)
			}
			if diff := cmp.Diff(tt.missing, missing); diff != "" {
				t.Errorf("missing mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if vars["order"] != "shipped" || len(vars["ticket"].(map[string]any)) != 3 {
		t.Errorf("renderText changed the variables: %v", vars)
	}
}

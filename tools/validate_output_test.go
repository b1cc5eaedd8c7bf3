package tools_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/tools"
)

func TestValidateOutputSchema(t *testing.T) {
	tests := []struct {
		name   string
		output string
		// wantPaths are the paths of the errors.
		wantPaths []string
	}{
		{name: "absent", output: ``},
		{name: "object", output: `{"type":"object","properties":{"id":{"type":"integer"}}}`},
		{name: "array", output: `{"type":"array","items":{"type":"string"}}`},
		{name: "no type", output: `{"properties":{}}`},
		{name: "bad keyword", output: `{"type":"object","properties":{"id":{"type":"int"}}}`, wantPaths: []string{"output_schema.properties.id.type"}},
		{name: "not JSON", output: `{"type":`, wantPaths: []string{"output_schema"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := &tools.Definition{
				Name:        "get_order",
				Description: "Looks up one order by its ID; call it when the customer names an order.",
				URL:         "https://api.example.com/orders",
			}
			if tt.output != "" {
				def.OutputSchema = json.RawMessage(tt.output)
			}
			var got []string
			for _, e := range tools.Validate(def, nil).Errors {
				got = append(got, e.Path)
			}
			if diff := cmp.Diff(tt.wantPaths, got); diff != "" {
				t.Errorf("error paths (-want +got):\n%s", diff)
			}
		})
	}
}

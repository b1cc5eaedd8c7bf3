package tools

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValidatePaths: each problem is reported once, at the field an admin
// must change.
func TestValidatePaths(t *testing.T) {
	base := func(mod func(*Definition)) *Definition {
		d := &Definition{Name: "get_order", Description: "Look up an order once the caller gave its id.", Method: "GET",
			URL: "https://api.example.com/orders", InputSchema: json.RawMessage(`{"type":"object"}`)}
		mod(d)
		return d
	}
	tests := []struct {
		name string
		def  *Definition
		want []FieldError
	}{
		{"schema type", base(func(d *Definition) { d.InputSchema = json.RawMessage(`{"type":"objekt"}`) }),
			[]FieldError{{Path: "input_schema.type", Message: `must be "object", not "objekt": tool arguments are always a JSON object`}}},
		{"properties not an object", base(func(d *Definition) { d.InputSchema = json.RawMessage(`{"type":"object","properties":5}`) }),
			[]FieldError{{Path: "input_schema.properties", Message: "must be an object (got a number)"}}},
		{"url with connection and path", base(func(d *Definition) { d.Connection, d.Path = "backend", "/orders" }),
			[]FieldError{{Path: "url", Message: "give either url or connection + path, not both"}}},
		{"secret in a url-mode header", base(func(d *Definition) { d.Headers = map[string]string{"X-Key": "{{secret.k}}"} }),
			[]FieldError{{Path: "headers.X-Key", Message: "{{secret.k}} needs a connection"}}},
		{"conn in a url-mode query", base(func(d *Definition) { d.Query = map[string]string{"region": "{{conn.region}}"} }),
			[]FieldError{{Path: "query.region", Message: "{{conn.region}} needs a connection"}}},
		{"secret in the url", base(func(d *Definition) { d.URL = "https://api.example.com/{{secret.k}}/orders" }),
			[]FieldError{{Path: "url", Message: "{{secret.k}} needs a connection"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(tt.def, nil).Errors
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

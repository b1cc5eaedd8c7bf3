package schema

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// leadSchema is a typical tool schema: nested objects, arrays, formats.
const leadSchema = `{
	"type": "object",
	"properties": {
		"phone_number": {"type": "string", "minLength": 7},
		"name": {"type": "string", "maxLength": 5},
		"email": {"type": "string", "format": "email"},
		"callback_date": {"type": "string", "format": "date"},
		"callback_at": {"type": "string", "format": "date-time"},
		"lead_id": {"type": "string", "format": "uuid"},
		"website": {"type": "string", "format": "uri"},
		"age": {"type": "integer", "minimum": 18, "maximum": 120},
		"score": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
		"size": {"enum": ["small", "medium", "large"]},
		"vip": {"type": "boolean"},
		"code": {"type": "string", "pattern": "^[A-Z]{3}$"},
		"address": {
			"type": "object",
			"properties": {
				"city": {"type": "string"},
				"zip": {"type": "string"}
			},
			"required": ["city", "zip"]
		},
		"items": {
			"type": "array",
			"maxItems": 3,
			"items": {
				"type": "object",
				"properties": {"id": {"type": "integer"}, "qty": {"type": "integer"}},
				"required": ["id"],
				"additionalProperties": false
			}
		},
		"tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
		"contact": {"anyOf": [{"type": "string"}, {"type": "object", "required": ["phone"]}]},
		"reach": {"type": "object", "anyOf": [{"required": ["phone"]}, {"required": ["email"]}]},
		"ref": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
		"note": {"type": ["string", "null"]}
	},
	"required": ["phone_number"],
	"additionalProperties": false
}`

func TestValidate(t *testing.T) {
	s := MustCompile(json.RawMessage(leadSchema))
	tests := []struct {
		name string
		args string
		want *ValidationResult
	}{
		{
			name: "valid minimal",
			args: `{"phone_number": "+15551234567"}`,
		},
		{
			name: "valid full",
			args: `{"phone_number": "+15551234567", "name": "Ada", "email": "ada@example.com",
				"callback_date": "2024-05-31", "callback_at": "2024-05-31T14:30:00Z",
				"lead_id": "123e4567-e89b-12d3-a456-426614174000", "website": "https://example.com",
				"age": 36, "score": 4.5, "size": "small", "vip": true, "code": "ABC",
				"address": {"city": "Paris", "zip": "75001"}, "items": [{"id": 1, "qty": 2}],
				"tags": ["a", "b"], "contact": {"phone": "1"}, "reach": {"email": "x"}, "ref": 7, "note": null}`,
		},
		{
			name: "missing top-level required",
			args: `{}`,
			want: &ValidationResult{Missing: []string{"phone_number"}},
		},
		{
			name: "nested missing required",
			args: `{"address": {}}`,
			want: &ValidationResult{Missing: []string{"address.city", "address.zip", "phone_number"}},
		},
		{
			name: "array item paths",
			args: `{"phone_number": "5551234", "items": [{"id": 1}, {"id": "two"}, {"qty": 1}, {"id": 3, "color": "red"}]}`,
			want: &ValidationResult{
				Issues: []Issue{
					{Path: "items", Message: "must have at most 3 items"},
					{Path: "items[1].id", Message: "must be an integer (got a string)"},
					{Path: "items[3].color", Message: "is not an allowed property; remove it"},
				},
				Missing: []string{"items[2].id"},
			},
		},
		{
			name: "type errors",
			args: `{"phone_number": 5551234, "age": 36.5, "vip": "yes", "address": [], "note": 3}`,
			want: &ValidationResult{Issues: []Issue{
				{Path: "address", Message: "must be an object (got an array)"},
				{Path: "age", Message: "must be an integer (got a number with a fractional part)"},
				{Path: "note", Message: "must be a string or null (got a number)"},
				{Path: "phone_number", Message: "must be a string (got a number)"},
				{Path: "vip", Message: "must be true or false (got a string)"},
			}},
		},
		{
			name: "enum",
			args: `{"phone_number": "5551234", "size": "huge"}`,
			want: &ValidationResult{Issues: []Issue{{Path: "size", Message: `must be one of "small", "medium" or "large"`}}},
		},
		{
			name: "additionalProperties false",
			args: `{"phone_number": "5551234", "nickname": "Ada", "color": "red"}`,
			want: &ValidationResult{Issues: []Issue{
				{Path: "color", Message: "is not an allowed property; remove it"},
				{Path: "nickname", Message: "is not an allowed property; remove it"},
			}},
		},
		{
			name: "formats asserted",
			args: `{"phone_number": "5551234", "email": "ada-at-example.com", "callback_date": "31/05/2024",
				"callback_at": "2024-05-31 14:30", "lead_id": "not-a-uuid", "website": "example.com/page"}`,
			want: &ValidationResult{Issues: []Issue{
				{Path: "callback_at", Message: "must be a date and time in RFC 3339 format, e.g. 2024-05-31T14:30:00Z"},
				{Path: "callback_date", Message: "must be a date in YYYY-MM-DD format, e.g. 2024-05-31"},
				{Path: "email", Message: "must be a valid email address"},
				{Path: "lead_id", Message: "must be a UUID, e.g. 123e4567-e89b-12d3-a456-426614174000"},
				{Path: "website", Message: "must be an absolute URI, e.g. https://example.com/page"},
			}},
		},
		{
			name: "bounds, lengths and patterns",
			args: `{"phone_number": "555", "name": "Alexandra", "age": 12, "score": 0, "code": "abc", "tags": ["a", "a"]}`,
			want: &ValidationResult{Issues: []Issue{
				{Path: "age", Message: "must be at least 18"},
				{Path: "code", Message: "must match the pattern ^[A-Z]{3}$"},
				{Path: "name", Message: "must be at most 5 characters long"},
				{Path: "phone_number", Message: "must be at least 7 characters long"},
				{Path: "score", Message: "must be greater than 0"},
				{Path: "tags", Message: "must not repeat items (items 0 and 1 are equal)"},
			}},
		},
		{
			name: "anyOf reports the branch of the right type",
			args: `{"phone_number": "5551234", "contact": {}}`,
			want: &ValidationResult{Missing: []string{"contact.phone"}},
		},
		{
			name: "anyOf of required alternatives",
			args: `{"phone_number": "5551234", "reach": {}}`,
			want: &ValidationResult{Issues: []Issue{{Path: "reach", Message: "needs reach.phone or reach.email"}}},
		},
		{
			name: "oneOf of types",
			args: `{"phone_number": "5551234", "ref": true}`,
			want: &ValidationResult{Issues: []Issue{{Path: "ref", Message: "must be an integer or a string (got a boolean)"}}},
		},
		{
			name: "root is not an object",
			args: `["5551234"]`,
			want: &ValidationResult{Issues: []Issue{{Path: "", Message: "must be an object (got an array)"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, args, err := s.ValidateJSON([]byte(tt.args))
			if err != nil {
				t.Fatalf("ValidateJSON: %v", err)
			}
			if args == nil && tt.args != "null" {
				t.Errorf("ValidateJSON returned no decoded arguments")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ValidateJSON(%s) mismatch (-want +got):\n%s", tt.args, diff)
			}
			if got.OK() != (tt.want == nil) {
				t.Errorf("OK() = %v, want %v", got.OK(), tt.want == nil)
			}

			// Arguments decoded by encoding/json (float64 numbers) give
			// the same result.
			var plain any
			if err := json.Unmarshal([]byte(tt.args), &plain); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s.Validate(plain)); diff != "" {
				t.Errorf("Validate(json.Unmarshal(%s)) mismatch (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestValidateJSONRefusesMalformedJSON(t *testing.T) {
	s := MustCompile(json.RawMessage(leadSchema))
	for _, data := range []string{``, `{`, `{"a":1}{}`, `{"a":1} x`, `{'a':1}`} {
		r, args, err := s.ValidateJSON([]byte(data))
		if !errors.Is(err, ErrInvalidJSON) {
			t.Errorf("ValidateJSON(%q) error = %v, want ErrInvalidJSON", data, err)
		}
		if r != nil || args != nil {
			t.Errorf("ValidateJSON(%q) = %v, %v, want nil result and arguments", data, r, args)
		}
	}
}

func TestValidateJSONKeepsNumbersExact(t *testing.T) {
	s := MustCompile(json.RawMessage(`{"type":"object","properties":{"id":{"type":"integer","maximum":9007199254740992}}}`))
	r, args, err := s.ValidateJSON([]byte(`{"id": 9007199254740993}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &ValidationResult{Issues: []Issue{{Path: "id", Message: "must be at most 9007199254740992"}}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("ValidateJSON mismatch (-want +got):\n%s", diff)
	}
	if got := args.(map[string]any)["id"]; got != json.Number("9007199254740993") {
		t.Errorf("decoded id = %#v, want json.Number(9007199254740993)", got)
	}
}

func TestPathsQuoteOddNames(t *testing.T) {
	s := MustCompile(json.RawMessage(`{"type":"object","properties":{"a.b":{"type":"object","required":["c d"]}},"required":["x"]}`))
	got := s.Validate(map[string]any{"a.b": map[string]any{}})
	want := &ValidationResult{Missing: []string{`["a.b"]["c d"]`, "x"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Validate mismatch (-want +got):\n%s", diff)
	}
}

func TestValidationResultString(t *testing.T) {
	var valid *ValidationResult
	if got := valid.String(); got != "ok" {
		t.Errorf("nil String() = %q, want ok", got)
	}
	r := &ValidationResult{
		Missing: []string{"address.zip", "phone_number"},
		Issues:  []Issue{{Path: "", Message: "must be an object"}, {Path: "email", Message: "must be a valid email address"}},
	}
	want := "missing address.zip, phone_number; must be an object; email: must be a valid email address"
	if got := r.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestValidateConcurrently(t *testing.T) {
	s := MustCompile(json.RawMessage(leadSchema))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				args := map[string]any{"phone_number": "5551234", "age": float64(i)}
				r := s.Validate(args)
				if i < 18 && (r.OK() || r.Issues[0].Path != "age") {
					t.Errorf("Validate(age %d) = %v, want an age issue", i, r)
					return
				}
			}
		})
	}
	wg.Wait()
}

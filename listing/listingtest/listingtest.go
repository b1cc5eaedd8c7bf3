// Package listingtest holds tool definitions for measuring listings: the
// listing package's speed test and toolgate-bench's listing scenario
// publish the same tools, so their figures compare.
package listingtest

// ToolDefinitions are tool definitions as admins write them, in the form
// the admin API takes: nested objects, formats, patterns, enums, arrays, a
// $ref and an open map.
func ToolDefinitions() []map[string]any {
	str := func(extra ...any) map[string]any {
		m := map[string]any{"type": "string"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	return []map[string]any{
		{
			"name": "book_table", "description": "Book a table once the caller gave the date, time and party size. Confirm the details before calling.",
			"method": "POST", "url": "http://127.0.0.1:1/bookings",
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{
				"date":    str("format", "date", "description", "Day of the booking."),
				"time":    str("pattern", "^[0-2][0-9]:[0-5][0-9]$", "description", "Local time, HH:MM."),
				"guests":  map[string]any{"type": "integer", "minimum": 1, "maximum": 12},
				"seating": str("enum", []string{"indoor", "terrace", "bar"}),
				"contact": map[string]any{"type": "object", "properties": map[string]any{
					"name": str("minLength", 1), "email": str("format", "email"), "phone": str("pattern", `^\+[1-9][0-9]{6,14}$`)},
					"required": []string{"name", "phone"}},
				"notes": str("maxLength", 500)},
				"required": []string{"date", "time", "guests", "contact"}},
		},
		{
			"name": "create_order", "description": "Create an order for the items the caller listed, after they confirmed the total.",
			"method": "POST", "url": "http://127.0.0.1:1/orders",
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{
				"items": map[string]any{"type": "array", "minItems": 1, "maxItems": 20, "items": map[string]any{
					"type": "object", "properties": map[string]any{
						"sku": str(), "quantity": map[string]any{"type": "integer", "minimum": 1}, "gift": map[string]any{"type": "boolean"}},
					"required": []string{"sku", "quantity"}}},
				"delivery": map[string]any{"$ref": "#/$defs/address"},
				"website":  str("format", "uri")},
				"required": []string{"items"},
				"$defs": map[string]any{"address": map[string]any{"type": "object", "properties": map[string]any{
					"street": str(), "city": str(), "country": str("enum", []string{"DE", "FR", "TZ", "US"})},
					"required": []string{"street", "city", "country"}}}},
		},
		{
			"name": "get_order", "description": "Look up an order's status and ETA once the caller gave the order id.",
			"method": "GET", "url": "http://127.0.0.1:1/orders/{{args.order_id}}",
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{
				"order_id": str("description", "The order number, e.g. A-17."), "verbose": map[string]any{"type": "boolean"}},
				"required": []string{"order_id"}},
		},
		{
			"name": "tag_contact", "description": "Attach the caller's labels to their contact when they ask to be tagged.",
			"method": "POST", "url": "http://127.0.0.1:1/contacts/tags",
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{
				"contact_id": str("format", "uuid"),
				"labels":     map[string]any{"type": "object", "additionalProperties": str()}},
				"required": []string{"contact_id", "labels"}},
		},
	}
}

package listing

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// benchTool is a tool as admins write them: nested objects, formats,
// enums and arrays.
func benchTool(b *testing.B, name string) *tools.Prepared {
	b.Helper()
	p, err := tools.Prepare("id", 1, &tools.Definition{
		Name:        name,
		Description: "Book a table once the caller gave the date, time and party size.",
		Method:      "POST", URL: "http://127.0.0.1:1/bookings",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"date":{"type":"string","format":"date"},` +
			`"guests":{"type":"integer","minimum":1,"maximum":12},"seating":{"type":"string","enum":["indoor","terrace"]},` +
			`"contact":{"type":"object","properties":{"name":{"type":"string","minLength":1},"email":{"type":"string","format":"email"}},"required":["name"]},` +
			`"items":{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string"},"qty":{"type":"integer"}},"required":["sku"]}}},` +
			`"required":["date","guests","contact"]}`),
	})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkRender measures what publishing a version adds: rendering it in
// every format, as stored.
func BenchmarkRender(b *testing.B) {
	p := benchTool(b, "book_table")
	for b.Loop() {
		if _, err := Render(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssemble measures a listing built from pieces already read:
// what a listing costs after the catalog reloaded the agent (TTL, a
// publish).
func BenchmarkAssemble(b *testing.B) {
	p := benchTool(b, "book_table")
	for _, n := range []int{100, 10000} {
		for _, format := range Formats {
			one := pieceIn(b, p, format)
			pieces := make([]*piece, n)
			for i := range pieces {
				pieces[i] = one
			}
			b.Run(fmt.Sprintf("tools=%d/format=%s", n, format), func(b *testing.B) {
				for b.Loop() {
					if _, err := assemble(pieces); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func TestSameSlice(t *testing.T) {
	a := []store.ToolVersionRef{{ToolID: "x", Version: 1}}
	b := []store.ToolVersionRef{a[0]}
	if !sameSlice(a, a) || sameSlice(a, b) || !sameSlice(nil, []store.ToolVersionRef{}) {
		t.Error("sameSlice must tell the catalog's slices apart by identity")
	}
}

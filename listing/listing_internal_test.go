package listing

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/toolgate/toolgate/tools"
)

// BenchmarkBuildListing measures the worst listing: converting and
// marshalling every tool of an agent in a format, none rendered before.
// BenchmarkRelistAfterReload is the common miss: the catalog reloaded the
// agent (TTL, a publish) and most tools are already rendered.
func BenchmarkBuildListing(b *testing.B) {
	def := tools.Definition{
		Description: "Book a table once the caller gave the date, time and party size.",
		Method:      "POST", URL: "http://127.0.0.1:1/bookings",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"date":{"type":"string","format":"date"},` +
			`"guests":{"type":"integer","minimum":1,"maximum":12},"seating":{"type":"string","enum":["indoor","terrace"]},` +
			`"contact":{"type":"object","properties":{"name":{"type":"string","minLength":1},"email":{"type":"string","format":"email"}},"required":["name"]},` +
			`"items":{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string"},"qty":{"type":"integer"}},"required":["sku"]}}},` +
			`"required":["date","guests","contact"]}`),
	}
	for _, n := range []int{100, 10000} {
		list := make([]*tools.Prepared, n)
		for i := range list {
			d := def
			d.Name = fmt.Sprintf("book_table_%d", i)
			p, err := tools.Prepare("id", 1, &d)
			if err != nil {
				b.Fatal(err)
			}
			list[i] = p
		}
		for _, format := range Formats {
			b.Run(fmt.Sprintf("tools=%d/format=%s", n, format), func(b *testing.B) {
				for b.Loop() {
					lc := NewCache() // a new agent's first listing
					if _, err := buildListing(lc.rendered, list, format); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func TestSameSlice(t *testing.T) {
	a := []*tools.Prepared{{Name: "x"}}
	b := []*tools.Prepared{a[0]}
	if !sameSlice(a, a) || sameSlice(a, b) || !sameSlice(nil, []*tools.Prepared{}) {
		t.Error("sameSlice must tell the catalog's slices apart by identity")
	}
}

func BenchmarkRelistAfterReload(b *testing.B) {
	rc := NewCache()
	for _, n := range []int{100, 10000} {
		list := make([]*tools.Prepared, n)
		for i := range list {
			p, err := tools.Prepare("id", 1, &tools.Definition{Name: fmt.Sprintf("t_%d", i), Description: "A tool.", URL: "http://127.0.0.1:1/",
				InputSchema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["a"]}`)})
			if err != nil {
				b.Fatal(err)
			}
			list[i] = p
		}
		for _, format := range Formats {
			if _, err := buildListing(rc.rendered, list, format); err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("tools=%d/format=%s", n, format), func(b *testing.B) {
				for b.Loop() {
					if _, err := buildListing(rc.rendered, list, format); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

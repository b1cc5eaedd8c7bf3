package listing

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/tools"
)

var update = flag.Bool("update", false, "rewrite testdata/renderings.golden with the current renderings")

// revisionGolden is testdata/renderings.golden: the renderings of the
// fixture tools, and the Revision that made them.
type revisionGolden struct {
	Revision   int                        `json:"revision"`
	Renderings map[string]json.RawMessage `json:"renderings"`
}

// TestRevision fails when the renderings change and Revision does not:
// stored renderings of the old code would be listed as if current. Bump
// Revision and run go test ./listing -run TestRevision -update. (A change
// of the fixture tools asks for it too; a bump only costs rendering the
// stored versions again, once.)
func TestRevision(t *testing.T) {
	current := revisionGolden{Revision: Revision, Renderings: map[string]json.RawMessage{}}
	for _, def := range fixtureTools()[:5] { // the Anthropic budget's tools are alike
		p, err := tools.Prepare("id", 1, &def)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := Render(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			data, err := json.Marshal(map[string]json.RawMessage{"tool": row.Tool, "notes": row.Notes})
			if err != nil {
				t.Fatal(err)
			}
			current.Renderings[def.Name+" "+row.Format] = data
		}
	}
	path := filepath.Join("testdata", "renderings.golden")
	var golden revisionGolden
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && *update:
	case err != nil:
		t.Fatalf("reading %s (go test ./listing -run TestRevision -update creates it): %v", path, err)
	default:
		if err := json.Unmarshal(raw, &golden); err != nil {
			t.Fatalf("decoding %s: %v", path, err)
		}
		for k, v := range golden.Renderings { // stored indented
			var buf bytes.Buffer
			if err := json.Compact(&buf, v); err != nil {
				t.Fatal(err)
			}
			golden.Renderings[k] = buf.Bytes()
		}
	}
	diff := renderingsDiff(golden.Renderings, current.Renderings)
	switch {
	case diff != "" && golden.Revision == Revision && golden.Renderings != nil:
		t.Fatalf("the renderings changed but listing.Revision is still %d: bump it, so that renderings stored by the old code are rendered again, "+
			"then run go test ./listing -run TestRevision -update (-golden +current):\n%s", Revision, diff)
	case *update:
		data, err := json.MarshalIndent(current, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	case diff != "" || golden.Revision != Revision:
		t.Errorf("%s is of revision %d, the code of %d: run go test ./listing -run TestRevision -update (-golden +current):\n%s",
			path, golden.Revision, Revision, diff)
	}
}

// renderingsDiff names the renderings that differ, and shows the first.
func renderingsDiff(golden, current map[string]json.RawMessage) string {
	var changed []string
	for _, k := range slices.Sorted(maps.Keys(current)) {
		if !bytes.Equal(golden[k], current[k]) {
			changed = append(changed, k)
		}
	}
	for k := range golden {
		if _, ok := current[k]; !ok {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return ""
	}
	slices.Sort(changed)
	first := changed[0]
	return fmt.Sprintf("%d changed: %s\nthe first, %s:\n-%s\n+%s", len(changed), strings.Join(changed, ", "), first, golden[first], current[first])
}

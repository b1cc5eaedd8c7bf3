package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/listing"
	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tools"
)

// npmPath returns the path of a file or folder of an npm package installed
// in e2e/ (`npm ci` there). Without it the test skips, except under
// CI=true, where it fails.
func npmPath(t testing.TB, rel string) string {
	t.Helper()
	path := filepath.Join("..", "e2e", "node_modules", filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("%s is missing: run `npm ci` in e2e/ to install the public OpenAPI documents", path)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// importBody is an import request around a document: a JSON document is
// sent as an object, a YAML one as a string.
func importBody(doc []byte, fields string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"spec":`)
	if trimmed := bytes.TrimSpace(doc); len(trimmed) > 0 && trimmed[0] == '{' {
		b.Write(doc)
	} else {
		text, _ := json.Marshal(string(doc))
		b.Write(text)
	}
	if fields != "" {
		b.WriteString("," + fields)
	}
	b.WriteString("}")
	return b.Bytes()
}

// checkImportedDrafts checks that every imported draft passes validation,
// or that its warnings say why: each validation error is among them.
func (e *env) checkImportedDrafts(rep *admin.ImportReport) {
	e.t.Helper()
	for _, tl := range rep.Tools {
		r := e.must(200, "POST", "/v1/admin/tools/"+tl.ID+"/validate", e.admin, nil)
		var report tools.Report
		if err := json.Unmarshal(r.raw, &report); err != nil {
			e.t.Fatal(err)
		}
		if report.Valid != tl.Valid {
			e.t.Errorf("%s: reported valid %v, validate says %v: %+v", tl.Name, tl.Valid, report.Valid, report.Errors)
		}
		for _, fe := range report.Errors {
			if !slices.Contains(tl.Warnings, openapi.FieldWarning{Path: fe.Path, Message: "invalid: " + fe.Message}) {
				e.t.Errorf("%s: validation error %+v is not in its warnings %+v", tl.Name, fe, tl.Warnings)
			}
		}
	}
}

// TestImportReadmeExamples imports every example of @readme/oas-examples
// (Swagger 2.0, OpenAPI 3.0 and 3.1, in JSON and YAML) through the REST
// endpoint, on both stores.
func TestImportReadmeExamples(t *testing.T) {
	skipUnderRace(t)
	root := npmPath(t, "@readme/oas-examples")
	var files []string
	for _, version := range []string{"2.0", "3.0", "3.1"} {
		for _, form := range []string{"json/*.json", "yaml/*.yaml"} {
			matches, err := filepath.Glob(filepath.Join(root, version, filepath.FromSlash(form)))
			if err != nil || len(matches) == 0 {
				t.Fatalf("no %s examples %s in %s: %v", version, form, root, err)
			}
			files = append(files, matches...)
		}
	}
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		e := newEnv(t, newStore)
		for i, file := range files {
			rel, _ := filepath.Rel(root, file)
			t.Run(filepath.ToSlash(rel), func(t *testing.T) {
				e.t = t
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				fields := fmt.Sprintf(`"connection":{"name":"doc%d"},"name_prefix":"d%d_"`, i, i)
				r := e.do("POST", importPath, e.admin, importBody(data, fields))
				if r.status == 422 && strings.Contains(string(r.raw), `"path":"connection.base_url"`) {
					// A document without an absolute server needs one.
					fields = fmt.Sprintf(`"connection":{"name":"doc%d","base_url":"https://api.example.com"},"name_prefix":"d%d_"`, i, i)
					r = e.do("POST", importPath, e.admin, importBody(data, fields))
				}
				if r.status != 200 {
					t.Fatalf("import: %d %.2000s", r.status, r.raw)
				}
				var rep admin.ImportReport
				if err := json.Unmarshal(r.raw, &rep); err != nil {
					t.Fatal(err)
				}
				if s := rep.Summary; s.Operations != s.Imported+s.Skipped || s.Imported != len(rep.Tools) || s.Created != s.Imported {
					t.Errorf("summary %+v does not add up (%d tools)", s, len(rep.Tools))
				}
				e.checkImportedDrafts(&rep)
			})
		}
	})
}

// githubDescription is GitHub's official REST description in @octokit/openapi.
const githubDescription = "@octokit/openapi/generated/api.github.com.json"

// githubImportMax bounds the import of GitHub's description end to end:
// the request, parsing, converting and writing 1,200 drafts.
const githubImportMax = 10 * time.Second

// TestImportGitHub imports GitHub's REST description (13 MB, 1,200
// operations) through the REST endpoint on both stores, within
// githubImportMax, and reports the time and peak memory; publishes every
// draft, activates them all for an agent and lists them in every format.
func TestImportGitHub(t *testing.T) {
	skipUnderRace(t)
	data, err := os.ReadFile(npmPath(t, githubDescription))
	if err != nil {
		t.Fatal(err)
	}
	body := importBody(data, `"connection":{"name":"github"},"name_prefix":"gh_"`)
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		e := newEnv(t, newStore)
		var rep admin.ImportReport
		stats := measureImport(t, func() {
			r := e.must(200, "POST", importPath, e.admin, body)
			if err := json.Unmarshal(r.raw, &rep); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("import of %d bytes: %s; %+v", len(data), stats, rep.Summary)
		if !raceEnabled && stats.cpu > githubImportMax {
			t.Errorf("the import took %v of CPU time, want under %v", stats.cpu, githubImportMax)
		}
		if rep.Summary.Imported < 1100 || rep.Summary.Created != rep.Summary.Imported {
			t.Errorf("summary %+v: want at least 1,100 tools created", rep.Summary)
		}
		if c := rep.Connection; c.Name != "github" || c.BaseURL != "https://api.github.com" || c.ID == "" {
			t.Errorf("connection %+v", c)
		}

		// Every draft publishes, or says in its warnings why it cannot.
		var names []string
		for _, tl := range rep.Tools {
			r := e.do("POST", "/v1/admin/tools/"+tl.ID+"/publish", e.admin, nil)
			switch {
			case r.status == 200:
				names = append(names, tl.Name)
			case r.status == 422 && !tl.Valid:
			default:
				t.Errorf("publishing %s (valid %v): %d %s", tl.Name, tl.Valid, r.status, r.raw)
			}
		}
		agentTools := make([]map[string]any, len(names))
		for i, n := range names {
			agentTools[i] = map[string]any{"name": n}
		}
		agent := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "octocat", "tools": agentTools})
		key := e.must(201, "POST", "/v1/admin/keys", e.admin, map[string]any{"name": "octocat", "role": "agent", "agent_id": agent.str("id")})
		for _, format := range listing.Formats {
			r := e.must(200, "GET", "/v1/tools?format="+format, key.str("key"), nil)
			var list struct {
				Tools       []json.RawMessage `json:"tools"`
				Unconverted []struct {
					Name, Target, Path, Reason string
				} `json:"unconverted"`
			}
			if err := json.Unmarshal(r.raw, &list); err != nil {
				t.Fatalf("%s listing: %v", format, err)
			}
			if len(list.Tools) != len(names) {
				t.Errorf("%s listing: %d tools, want %d", format, len(list.Tools), len(names))
			}
			for _, u := range list.Unconverted {
				if !slices.Contains(names, u.Name) || u.Reason == "" {
					t.Errorf("%s listing: unconverted %+v", format, u)
				}
			}
			lossy := format == listing.FormatOpenAIStrict || format == listing.FormatOpenAIResponses ||
				format == listing.FormatAnthropicStrict || format == listing.FormatGemini
			if lossy != (len(list.Unconverted) > 0) {
				t.Errorf("%s listing: %d tools reported unconverted", format, len(list.Unconverted))
			}
			t.Logf("%s listing: %d tools, %d bytes, %d unconverted", format, len(list.Tools), len(r.raw), len(list.Unconverted))
		}

		// Importing it again changes nothing, published versions included.
		var again admin.ImportReport
		stats = measureImport(t, func() {
			r := e.must(200, "POST", importPath, e.admin, body)
			if err := json.Unmarshal(r.raw, &again); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("import again: %s; %+v", stats, again.Summary)
		if again.Summary.Unchanged != rep.Summary.Imported {
			t.Errorf("import again: summary %+v, want all %d unchanged", again.Summary, rep.Summary.Imported)
		}
		for _, tl := range again.Tools {
			if tl.PublishedVersion != 1 && slices.Contains(names, tl.Name) {
				t.Errorf("%s: published version %d, want 1", tl.Name, tl.PublishedVersion)
			}
		}
	})
}

// importStats is what an import cost.
type importStats struct {
	elapsed, cpu time.Duration
	// peakHeap is the most heap memory in use (live and not yet collected)
	// seen while it ran; sysAfter what the process has obtained from the
	// OS after it.
	peakHeap, sysAfter uint64
}

func (s importStats) String() string {
	return fmt.Sprintf("%v elapsed, %v CPU, peak heap %d MiB, obtained from the OS %d MiB",
		s.elapsed.Round(time.Millisecond), s.cpu.Round(time.Millisecond), s.peakHeap>>20, s.sysAfter>>20)
}

// measureImport runs f and reports its time, CPU time and peak heap, sampled
// every 10 ms.
func measureImport(t *testing.T, f func()) importStats {
	t.Helper()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64() + sample[1].Value.Uint64()
	}
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var max uint64
		for {
			max = maxOf(max, heap())
			select {
			case <-done:
				peak <- max
				return
			case <-tick.C:
			}
		}
	}()
	start, startCPU := time.Now(), processCPU()
	f()
	s := importStats{elapsed: time.Since(start), cpu: processCPU() - startCPU}
	close(done)
	s.peakHeap = maxOf(<-peak, heap())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.sysAfter = ms.Sys
	return s
}

func maxOf(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// processCPU returns the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

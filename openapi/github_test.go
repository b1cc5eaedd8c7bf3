package openapi_test

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/toolgate/toolgate/openapi"
)

// githubDescription is GitHub's official REST description in @octokit/openapi.
const githubDescription = "@octokit/openapi/generated/api.github.com.json"

// githubImportMax bounds parsing and converting GitHub's description
// (about 13 MB, 1,100 operations); the import as a whole must take under
// 10 s, writing the drafts included.
const githubImportMax = 10 * time.Second

// TestGitHubDescription imports every operation of GitHub's REST
// description, checks each draft as TestReadmeExamples does, and reports
// the time and memory it took.
func TestGitHubDescription(t *testing.T) {
	skipUnderRace(t)
	data, err := os.ReadFile(npmPath(t, githubDescription))
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start, startCPU := time.Now(), processCPU()
	doc, err := openapi.Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	parsed := time.Since(start)
	res, err := openapi.Convert(doc, openapi.Options{NamePrefix: "gh_", ConnectionName: "github"})
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	elapsed, cpu := time.Since(start), processCPU()-startCPU
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("%d bytes: parse %v, parse+convert %v (CPU time %v); allocated %d MiB, heap in use after %d MiB, obtained from the OS %d MiB",
		len(data), parsed.Round(time.Millisecond), elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond),
		(after.TotalAlloc-before.TotalAlloc)>>20, after.HeapInuse>>20, after.Sys>>20)
	// The CPU time is the measure: on a machine busy with other work the
	// elapsed time says more about the other work. It includes the garbage
	// collector's, on every core, so it is never below the elapsed time of
	// the same work on an idle machine with one core.
	if !raceEnabled && cpu > githubImportMax {
		t.Errorf("parse+convert took %v of CPU time, want under %v", cpu, githubImportMax)
	}

	if res.Summary.Operations < 1100 {
		t.Errorf("summary %+v: want at least 1,100 operations", res.Summary)
	}
	if res.Summary.Skipped > res.Summary.Operations/20 {
		t.Errorf("summary %+v: more than 5%% skipped: %+v", res.Summary, res.Skipped)
	}
	if res.Connection.Name != "github" || res.Connection.BaseURL != "https://api.github.com" {
		t.Errorf("connection = %+v", res.Connection)
	}
	counts := checkResult(t, res)
	invalid := 0
	for _, tl := range res.Tools {
		if !tl.Valid {
			invalid++
		}
	}
	if invalid > 0 {
		t.Errorf("%d drafts do not pass tools.Validate", invalid)
	}
	t.Logf("%+v; not expressible in OpenAI strict mode: %d tools, in Gemini: %d", res.Summary, counts.strictUnconverted, counts.geminiUnconverted)
}

// BenchmarkGitHubDescription measures parsing and converting GitHub's REST
// description.
func BenchmarkGitHubDescription(b *testing.B) {
	data, err := os.ReadFile(npmPath(b, githubDescription))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		doc, err := openapi.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := openapi.Convert(doc, openapi.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU returns the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

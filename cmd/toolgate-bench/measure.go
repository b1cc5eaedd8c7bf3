package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Interleaving: the machine is shared, so a baseline and the target it is
// compared with run in alternating rounds (baseline, target, baseline,
// target, ...) and a burst of load from elsewhere falls on both.

// interleave drives each target in turn, rounds times, each round for
// maxDur/rounds and at most n/rounds requests, after one warmup per target.
// It returns the merged outcome of each target and the outcomes of the
// warmups (whose answered calls were recorded too).
func interleave(ctx context.Context, client *http.Client, targets []*target, workers, n, rounds int, maxDur, warmup time.Duration) (results, warmups map[string]*outcome, err error) {
	results, warmups = map[string]*outcome{}, map[string]*outcome{}
	for _, t := range targets {
		warm := &outcome{name: t.name}
		if warmup > 0 {
			warm = drive(ctx, client, t, workers, n, warmup)
			if warm.errors > 0 {
				return nil, nil, fmt.Errorf("%s warmup: %d errors, first: %s", t.name, warm.errors, warm.firstErr)
			}
		}
		warmups[t.name] = warm
		results[t.name] = &outcome{name: t.name}
	}
	rounds = max(rounds, 1)
	per := max(n/rounds, 1)
	for range rounds {
		for _, t := range targets {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			results[t.name].merge(drive(ctx, client, t, workers, per, maxDur/time.Duration(rounds)))
		}
	}
	return results, warmups, nil
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resources is what the process holds at one moment.
type resources struct {
	fds        int
	goroutines int
	rssBytes   int64
}

func (r resources) String() string {
	return fmt.Sprintf("%d fds, %d goroutines, RSS %.0f MiB", r.fds, r.goroutines, float64(r.rssBytes)/(1<<20))
}

// currentResources counts open file descriptors (Linux), goroutines and the
// resident set size.
func currentResources() resources {
	return resources{fds: countFDs(), goroutines: runtime.NumGoroutine(), rssBytes: rss()}
}

// countFDs counts this process's open file descriptors (Linux).
func countFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// rss is the resident set size from /proc/self/statm (Linux).
func rss() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}

// sampleResources samples the process's resources every 250ms until the
// returned function is called, which returns the highest of each seen.
func sampleResources() (stop func() resources) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	peak := currentResources()
	note := func(r resources) {
		peak.fds = max(peak.fds, r.fds)
		peak.goroutines = max(peak.goroutines, r.goroutines)
		peak.rssBytes = max(peak.rssBytes, r.rssBytes)
	}
	wg.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				note(currentResources())
			}
		}
	})
	return func() resources {
		close(done)
		wg.Wait()
		note(currentResources())
		return peak
	}
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "unknown CPU"
}

// startProfile starts a CPU profile into path; stop ends it.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		abs, _ := filepath.Abs(path)
		fmt.Fprintf(os.Stderr, "CPU profile: %s\n", abs)
	}, nil
}

// Command toolgate-bench measures what toolgate adds to a tool call. In one
// process, on loopback only, it starts a fast upstream API, a tuned
// httputil.ReverseProxy in front of it, and toolgate (built as `toolgate
// serve` builds it, on SQLite with run recording) calling the upstream
// through a published tool. It drives each with the same closed-loop load
// and prints throughput and latency percentiles, then checks that every
// toolgate call was recorded and that open file descriptors stayed flat.
//
//	go run ./cmd/toolgate-bench                  # defaults: -c 32 -n 100000 -duration 18s -warmup 1s
//	go run ./cmd/toolgate-bench -c 64 -n 20000 -cpuprofile toolgate.pprof
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Flag defaults: the whole run takes well under a minute on two cores.
const (
	ConcurrencyDefault = 32
	RequestsDefault    = 100_000
	DurationDefault    = 18 * time.Second
	WarmupDefault      = time.Second
)

// config is the command line.
type config struct {
	concurrency int
	requests    int
	duration    time.Duration
	warmup      time.Duration
	cpuProfile  string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "toolgate-bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("toolgate-bench", flag.ContinueOnError)
	fs.IntVar(&cfg.concurrency, "c", ConcurrencyDefault, "concurrent workers (closed loop)")
	fs.IntVar(&cfg.requests, "n", RequestsDefault, "requests per target (at most)")
	fs.DurationVar(&cfg.duration, "duration", DurationDefault, "time per target (at most)")
	fs.DurationVar(&cfg.warmup, "warmup", WarmupDefault, "unmeasured load before each target")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured toolgate phase to this file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case cfg.concurrency < 1:
		return nil, errors.New("-c: must be at least 1")
	case cfg.requests < 1:
		return nil, errors.New("-n: must be at least 1")
	case cfg.duration <= 0:
		return nil, errors.New("-duration: must be positive")
	case cfg.warmup < 0:
		return nil, errors.New("-warmup: must not be negative")
	}
	return cfg, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "toolgate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	upSrv, upURL, err := startUpstream()
	if err != nil {
		return err
	}
	defer upSrv.Close()
	proxySrv, proxyURL, proxyTransport, err := startProxy(upURL)
	if err != nil {
		return err
	}
	defer proxySrv.Close()
	defer proxyTransport.CloseIdleConnections()
	gw, err := startGateway(ctx, dir, upURL)
	if err != nil {
		return fmt.Errorf("starting toolgate: %w", err)
	}
	gwStopped := false
	defer func() {
		if !gwStopped {
			gw.stop(context.Background())
		}
	}()

	fmt.Fprintf(out, "toolgate-bench: %d CPUs (GOMAXPROCS %d), %s, -c %d -n %d -duration %s -warmup %s\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel(), cfg.concurrency, cfg.requests, cfg.duration, cfg.warmup)
	fmt.Fprintf(out, "load average before: %s (other processes share these CPUs: compare runs only when it is low)\n", loadAverage())

	// The upstream sees the same request from all three: toolgate renders
	// GET /api/orders/A-17?verbose=true with a bearer token.
	const upstreamPath = "/api/orders/A-17?verbose=true"
	upstreamHeader := http.Header{"Authorization": {"Bearer tok-123456"}, "X-Tenant": {"acme"}}
	targets := []*target{
		{name: "direct", method: http.MethodGet, url: upURL + upstreamPath, header: upstreamHeader},
		{name: "proxy", method: http.MethodGet, url: proxyURL + upstreamPath, header: upstreamHeader},
		{name: "toolgate", method: http.MethodPost, url: gw.url + "/v1/tools/get_order/call",
			header: http.Header{"Authorization": {"Bearer " + gw.agentKey}, "Content-Type": {"application/json"}},
			body:   []byte(`{"arguments": {"order_id": "A-17", "verbose": true}, "context": {"tenant": "acme", "user_id": "+255700000001", "channel": "voice"}}`),
			ok:     func(body []byte) bool { return strings.Contains(string(body), `"ok":true`) }},
	}

	client := newLoadClient(cfg.concurrency)
	defer client.CloseIdleConnections()
	results := map[string]*outcome{}
	var gwAnswered, gwSucceeded int
	var fdBefore, fdPeak, fdAfter int
	for _, t := range targets {
		if cfg.warmup > 0 {
			w := drive(ctx, client, t, cfg.concurrency, cfg.requests, cfg.warmup)
			if w.errors > 0 {
				return fmt.Errorf("%s warmup: %d errors, first: %s", t.name, w.errors, w.firstErr)
			}
			if t.name == "toolgate" {
				gwAnswered += w.answered
				gwSucceeded += w.successes
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var res *outcome
		if t.name == "toolgate" {
			fdBefore = countFDs()
			sampler := sampleFDs()
			stopProfile, err := startProfile(cfg.cpuProfile)
			if err != nil {
				return err
			}
			res = drive(ctx, client, t, cfg.concurrency, cfg.requests, cfg.duration)
			stopProfile()
			fdPeak = sampler()
			fdAfter = countFDs()
			gwAnswered += res.answered
			gwSucceeded += res.successes
		} else {
			res = drive(ctx, client, t, cfg.concurrency, cfg.requests, cfg.duration)
		}
		results[t.name] = res
		fmt.Fprintf(out, "  %-8s %d requests in %s\n", t.name, res.requests, res.elapsed.Round(time.Millisecond))
	}

	fmt.Fprintf(out, "load average after: %s\n", loadAverage())
	printTable(out, targets, results)

	// Nothing lost: every call toolgate answered is one run in the store.
	flushCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := gw.app.Recorder.Flush(flushCtx); err != nil {
		return fmt.Errorf("flushing runs: %w", err)
	}
	gw.stop(flushCtx)
	gwStopped = true
	total, succeeded, err := countRuns(flushCtx, gw.dbPath)
	if err != nil {
		return fmt.Errorf("counting runs: %w", err)
	}
	verdict := "nothing lost"
	if total != gwAnswered || succeeded != gwSucceeded {
		verdict = "RUNS MISSING"
	}
	fmt.Fprintf(out, "\nruns recorded: %d in the store (%d succeeded) for %d toolgate calls answered (%d successful, warmup included): %s\n",
		total, succeeded, gwAnswered, gwSucceeded, verdict)
	fmt.Fprintf(out, "open fds: %d before the toolgate phase, %d at most during it, %d after (%d workers)\n",
		fdBefore, fdPeak, fdAfter, cfg.concurrency)
	if verdict != "nothing lost" {
		return errors.New("runs were lost")
	}
	for _, r := range results {
		if r.errors > 0 {
			return fmt.Errorf("%s: %d errors, first: %s", r.name, r.errors, r.firstErr)
		}
	}
	return nil
}

// printTable prints the results and toolgate's cost against the baselines.
func printTable(out io.Writer, targets []*target, results map[string]*outcome) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\trequests\terrors\treq/s\tp50 ms\tp90 ms\tp99 ms\t")
	for _, t := range targets {
		r := results[t.name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t\n", r.name, r.requests, r.errors, r.throughput(),
			ms(r.percentile(0.50)), ms(r.percentile(0.90)), ms(r.percentile(0.99)))
	}
	tw.Flush()
	direct, proxy, gw := results["direct"], results["proxy"], results["toolgate"]
	fmt.Fprintf(out, "\ntoolgate/proxy throughput: %.2fx   toolgate/direct throughput: %.2fx\n",
		gw.throughput()/proxy.throughput(), gw.throughput()/direct.throughput())
	fmt.Fprintf(out, "toolgate added p50: %s ms vs direct, %s ms vs proxy   added p99: %s ms vs direct, %s ms vs proxy\n",
		ms(gw.percentile(0.5)-direct.percentile(0.5)), ms(gw.percentile(0.5)-proxy.percentile(0.5)),
		ms(gw.percentile(0.99)-direct.percentile(0.99)), ms(gw.percentile(0.99)-proxy.percentile(0.99)))
}

// startProfile starts a CPU profile into path, if set.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// countFDs counts this process's open file descriptors (Linux).
func countFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// sampleFDs counts open file descriptors every 250ms until the returned
// function is called, which returns the highest count seen.
func sampleFDs() (stop func() int) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	peak := countFDs()
	wg.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				peak = max(peak, countFDs())
			}
		}
	})
	return func() int {
		close(done)
		wg.Wait()
		return max(peak, countFDs())
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

// Command toolgate-bench measures what toolgate adds where users feel it.
// In one process, on loopback only, it starts a fast upstream API, a tuned
// httputil.ReverseProxy in front of it, and toolgate (built as `toolgate
// serve` builds it, on SQLite or PostgreSQL, with run recording). Each
// scenario measures toolgate against a baseline in the same run, the two
// driven in alternating rounds so that load from elsewhere on the machine
// falls on both, and prints the ratio:
//
//	sync        a tool call vs the reverse proxy, per response size
//	            (-sizes), 16 connections: throughput and CPU per request;
//	            then every answered call must be a stored run, and open
//	            files, goroutines, RSS and database bytes per run are shown
//	background  background calls accepted (durable 202) and completed, vs
//	            the same tool called in the foreground, on SQLite and on
//	            PostgreSQL (-database-url)
//	listing     first and cached GET /v1/tools?format=openai for an agent
//	            with -listing-tools tools, vs serving the same bytes
//	engine      allocations of one Engine.Run vs the bare guarded exchange
//	mcp         CPU per MCP tools/call vs per REST call of the same tool
//	idle        CPU of an idle instance with the background queue on SQLite
//	            vs one without the queue (-idle-duration)
//
// Usage:
//
//	go run ./cmd/toolgate-bench                                # -scenario sync
//	go run ./cmd/toolgate-bench -scenario all
//	go run ./cmd/toolgate-bench -scenario sync -sizes 1KB -n 1000000 -duration 10m -rounds 1
//	go run ./cmd/toolgate-bench -scenario sync -sizes 1MB -cpuprofile tg.pprof
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Flag defaults: each scenario takes about a minute on two cores.
const (
	ConcurrencyDefault    = 16
	RequestsDefault       = 100_000
	DurationDefault       = 12 * time.Second
	WarmupDefault         = time.Second
	RoundsDefault         = 3
	SizesDefault          = "1KB,100KB,1MB"
	ListingToolsDefault   = "1000,10000"
	BackgroundRunsDefault = 3000
	IdleDurationDefault   = 30 * time.Second
)

// Scenarios, in the order "all" runs them.
var scenarios = []string{"sync", "background", "listing", "engine", "mcp", "idle"}

// config is the command line.
type config struct {
	scenarios      []string
	concurrency    int
	requests       int
	duration       time.Duration
	warmup         time.Duration
	rounds         int
	sizes          []string
	listingTools   []int
	backgroundRuns int
	idleDuration   time.Duration
	databaseURL    string
	cpuProfile     string
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
	scenario := fs.String("scenario", "sync", "comma-separated scenarios: "+strings.Join(scenarios, ", ")+", or all")
	fs.IntVar(&cfg.concurrency, "c", ConcurrencyDefault, "concurrent connections (closed loop)")
	fs.IntVar(&cfg.requests, "n", RequestsDefault, "requests per target (at most)")
	fs.DurationVar(&cfg.duration, "duration", DurationDefault, "time per target, over all rounds (at most)")
	fs.DurationVar(&cfg.warmup, "warmup", WarmupDefault, "unmeasured load before each target")
	fs.IntVar(&cfg.rounds, "rounds", RoundsDefault, "alternating rounds of baseline and target")
	sizes := fs.String("sizes", SizesDefault, "sync: comma-separated upstream response sizes (B, KB, MB)")
	listingTools := fs.String("listing-tools", ListingToolsDefault, "listing: comma-separated numbers of tools")
	fs.IntVar(&cfg.backgroundRuns, "background-runs", BackgroundRunsDefault, "background: runs queued to time completion")
	fs.DurationVar(&cfg.idleDuration, "idle-duration", IdleDurationDefault, "idle: time measured per target, over all rounds")
	fs.StringVar(&cfg.databaseURL, "database-url", os.Getenv("TOOLGATE_TEST_DATABASE_URL"),
		"background: PostgreSQL database to measure in a schema of its own (default $TOOLGATE_TEST_DATABASE_URL; none skips it)")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "after the measured rounds, profile one more phase of each toolgate target into PATH.<target>")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for s := range strings.SplitSeq(*scenario, ",") {
		switch s = strings.TrimSpace(s); {
		case s == "all":
			cfg.scenarios = append(cfg.scenarios, scenarios...)
		case slices.Contains(scenarios, s):
			cfg.scenarios = append(cfg.scenarios, s)
		default:
			return nil, fmt.Errorf("-scenario: %q is not one of %s or all", s, strings.Join(scenarios, ", "))
		}
	}
	for s := range strings.SplitSeq(*sizes, ",") {
		if _, err := parseSize(s); err != nil {
			return nil, fmt.Errorf("-sizes: %w", err)
		}
		cfg.sizes = append(cfg.sizes, strings.TrimSpace(s))
	}
	for s := range strings.SplitSeq(*listingTools, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-listing-tools: %q is not a positive number", s)
		}
		cfg.listingTools = append(cfg.listingTools, n)
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
	case cfg.rounds < 1:
		return nil, errors.New("-rounds: must be at least 1")
	case cfg.backgroundRuns < 1:
		return nil, errors.New("-background-runs: must be at least 1")
	case cfg.idleDuration <= 0:
		return nil, errors.New("-idle-duration: must be positive")
	}
	return cfg, nil
}

// summary collects each scenario's figures against its goal.
type summary struct {
	rows [][4]string
}

// add records a measure, its figure, its baseline in the same run, and
// the goal.
func (s *summary) add(measure, figure, baseline, goal string) {
	s.rows = append(s.rows, [4]string{measure, figure, baseline, goal})
}

func (s *summary) print(out io.Writer) {
	fmt.Fprintln(out, "\nsummary")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tfigure\tbaseline (same run)\tgoal")
	for _, r := range s.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r[0], r[1], r[2], r[3])
	}
	tw.Flush()
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "toolgate-bench: %d CPUs (GOMAXPROCS %d), %s, -c %d -n %d -duration %s -warmup %s -rounds %d\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel(), cfg.concurrency, cfg.requests, cfg.duration, cfg.warmup, cfg.rounds)
	fmt.Fprintf(out, "load average before: %s (other processes share these CPUs: baselines and targets alternate, so compare ratios)\n", loadAverage())
	var sum summary
	for _, s := range cfg.scenarios {
		fmt.Fprintf(out, "\n== %s ==\n", s)
		var err error
		switch s {
		case "sync":
			err = runSync(ctx, cfg, out, &sum)
		case "background":
			err = runBackground(ctx, cfg, out, &sum)
		case "listing":
			err = runListing(ctx, cfg, out, &sum)
		case "engine":
			err = runEngine(ctx, cfg, out, &sum)
		case "mcp":
			err = runMCP(ctx, cfg, out, &sum)
		case "idle":
			err = runIdle(ctx, cfg, out, &sum)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		fmt.Fprintf(out, "load average: %s\n", loadAverage())
	}
	sum.print(out)
	return nil
}

// printTable prints the outcomes of targets.
func printTable(out io.Writer, targets []*target, results map[string]*outcome) {
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\trequests\terrors\treq/s\tp50 ms\tp90 ms\tp99 ms\tCPU µs/req\t")
	for _, t := range targets {
		r := results[t.name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%.0f\t\n", r.name, r.requests, r.errors, r.throughput(),
			ms(r.percentile(0.50)), ms(r.percentile(0.90)), ms(r.percentile(0.99)), float64(r.cpuPerRequest())/1e3)
	}
	tw.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

// checkErrors fails when a target had errors.
func checkErrors(results map[string]*outcome) error {
	for _, r := range results {
		if r.errors > 0 {
			return fmt.Errorf("%s: %d errors, first: %s", r.name, r.errors, r.firstErr)
		}
	}
	return nil
}

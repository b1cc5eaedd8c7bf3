package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"
)

// runSync compares a tool call with the reverse proxy for each response
// size: the upstream answers a JSON document of that size, the proxy passes
// it through, and toolgate's get_doc tool (no select: the whole document,
// compacted and cut to the tool's max_bytes for the model) records it.
func runSync(ctx context.Context, cfg *config, out io.Writer, sum *summary) error {
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
	gw, err := startGateway(ctx, gatewayOptions{dir: dir})
	if err != nil {
		return fmt.Errorf("starting toolgate: %w", err)
	}
	defer gw.stop(context.Background())
	if err := gw.connect(ctx, upURL); err != nil {
		return err
	}
	if err := gw.publish(ctx, map[string]any{
		"name": "get_doc", "description": "Fetch the document of the given size.",
		"method": "GET", "connection": "backend", "path": "/docs/{{args.size}}",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{
			"size": map[string]any{"type": "string"}}, "required": []string{"size"}},
	}); err != nil {
		return err
	}
	key, _, err := gw.agentKey(ctx, "bench-bot", "get_doc")
	if err != nil {
		return err
	}

	client := newLoadClient(cfg.concurrency)
	defer client.CloseIdleConnections()
	var answered, succeeded int
	var before, peak resources
	for i, size := range cfg.sizes {
		proxy := &target{name: "proxy", method: http.MethodGet, url: proxyURL + "/api/docs/" + size,
			header: http.Header{"Authorization": {"Bearer tok-123456"}}}
		tg := &target{name: "toolgate", method: http.MethodPost, url: gw.url + "/v1/tools/get_doc/call",
			header: http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"}},
			body:   []byte(`{"arguments": {"size": "` + size + `"}, "context": {"user_id": "+255700000001", "channel": "voice"}}`),
			ok:     func(body []byte) bool { return strings.Contains(string(body), `"ok":true`) }}
		targets := []*target{proxy, tg}
		if i == 0 {
			// The first warmup opens the connections: resources are
			// counted from after it.
			w := drive(ctx, client, tg, cfg.concurrency, cfg.requests, cfg.warmup)
			answered, succeeded = answered+w.answered, succeeded+w.successes
			before = currentResources()
		}
		sampler := sampleResources()
		results, warmups, err := interleave(ctx, client, targets, cfg.concurrency, cfg.requests, cfg.rounds, cfg.duration, cfg.warmup)
		p := sampler()
		if err != nil {
			return err
		}
		peak = resources{fds: max(peak.fds, p.fds), goroutines: max(peak.goroutines, p.goroutines), rssBytes: max(peak.rssBytes, p.rssBytes)}
		for _, o := range []*outcome{warmups["toolgate"], results["toolgate"]} {
			answered, succeeded = answered+o.answered, succeeded+o.successes
		}
		fmt.Fprintf(out, "\nresponse %s:", size)
		printTable(out, targets, results)
		if err := checkErrors(results); err != nil {
			return err
		}
		if cfg.cpuProfile != "" {
			w, err := profilePhase(ctx, cfg, client, tg, cfg.cpuProfile+".toolgate-"+size)
			if err != nil {
				return err
			}
			answered, succeeded = answered+w.answered, succeeded+w.successes
		}
		pr, tr := results["proxy"], results["toolgate"]
		ratio := tr.throughput() / pr.throughput()
		fmt.Fprintf(out, "toolgate/proxy throughput: %.2fx   CPU per request: %.2fx the proxy's   added p50: %s ms\n",
			ratio, float64(tr.cpuPerRequest())/float64(pr.cpuPerRequest()), ms(tr.percentile(0.5)-pr.percentile(0.5)))
		goal := "≥ 0.5x"
		if s, _ := parseSize(size); s <= 1000 {
			goal = "≥ 0.8x"
		}
		sum.add("sync call throughput, "+size+" response, c="+fmt.Sprint(cfg.concurrency),
			fmt.Sprintf("%.2fx the proxy (%.0f/s)", ratio, tr.throughput()), fmt.Sprintf("proxy %.0f/s", pr.throughput()), goal)
	}
	after := currentResources()

	// Nothing lost: every call toolgate answered is one run in the store.
	flushCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := gw.app.Recorder.Flush(flushCtx); err != nil {
		return fmt.Errorf("flushing runs: %w", err)
	}
	gw.stop(flushCtx)
	total, stored, err := gw.countRuns(flushCtx)
	if err != nil {
		return fmt.Errorf("counting runs: %w", err)
	}
	verdict := "nothing lost"
	if total != answered || stored != succeeded {
		verdict = "RUNS MISSING"
	}
	fmt.Fprintf(out, "\nruns recorded: %d in the store (%d succeeded) for %d toolgate calls answered (%d successful, warmups included): %s\n",
		total, stored, answered, succeeded, verdict)
	fmt.Fprintf(out, "resources: %s after the first warmup; at most %s during the rounds; %s after\n", before, peak, after)
	if dbBytes := fileBytes(gw.dbPath, gw.dbPath+"-wal"); total > 0 {
		fmt.Fprintf(out, "database: %.1f MiB for %d runs: %.0f bytes per run\n", float64(dbBytes)/(1<<20), total, float64(dbBytes)/float64(total))
		sum.add("database bytes per run (sizes "+strings.Join(cfg.sizes, ",")+")", fmt.Sprintf("%.0f", float64(dbBytes)/float64(total)), "", "bounded by the body cap")
	}
	sum.add("resources during the sync calls", fmt.Sprintf("peak %s", peak), fmt.Sprintf("before %s", before), "flat")
	if verdict != "nothing lost" {
		return fmt.Errorf("runs were lost")
	}
	return nil
}

// profilePhase drives t once more, unmeasured, with a CPU profile written
// to path.
func profilePhase(ctx context.Context, cfg *config, client *http.Client, t *target, path string) (*outcome, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, err
	}
	o := drive(ctx, client, t, cfg.concurrency, cfg.requests, cfg.duration/time.Duration(cfg.rounds))
	pprof.StopCPUProfile()
	abs, _ := filepath.Abs(path)
	fmt.Fprintf(os.Stderr, "CPU profile of %d %s requests: %s\n", o.requests, t.name, abs)
	return o, nil
}

// fileBytes adds up the sizes of the files that exist.
func fileBytes(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

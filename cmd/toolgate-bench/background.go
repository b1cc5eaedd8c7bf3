package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// runBackground measures background calls on SQLite and, with a database
// URL, on PostgreSQL. The baseline is the same tool called in the
// foreground (save_note_now: the same request, sent and recorded
// asynchronously in batches), alternating with the background calls:
//
//   - accepted: POST /call of save_note answered 202 once its run and its
//     job are committed, while the workers work the queue;
//   - completed: -background-runs runs queued at once (by -c connections),
//     timed from the first submission until the last run has ended.
func runBackground(ctx context.Context, cfg *config, out io.Writer, sum *summary) error {
	if err := backgroundOn(ctx, cfg, out, sum, "SQLite", ""); err != nil {
		return err
	}
	if cfg.databaseURL == "" {
		fmt.Fprintln(out, "PostgreSQL: skipped (set -database-url or TOOLGATE_TEST_DATABASE_URL)")
		return nil
	}
	return backgroundOn(ctx, cfg, out, sum, "PostgreSQL", cfg.databaseURL)
}

func backgroundOn(ctx context.Context, cfg *config, out io.Writer, sum *summary, storeName, databaseURL string) error {
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
	gw, err := startGateway(ctx, gatewayOptions{dir: dir, databaseURL: databaseURL, queue: true})
	if err != nil {
		return fmt.Errorf("starting toolgate on %s: %w", storeName, err)
	}
	defer gw.stop(context.Background())
	if err := gw.connect(ctx, upURL); err != nil {
		return err
	}
	note := func(name string, background bool) map[string]any {
		return map[string]any{"name": name, "description": "Save the caller's note to the CRM.",
			"method": "POST", "connection": "backend", "path": "/notes", "background": background,
			"body":         map[string]any{"text": "{{args.text}}"},
			"input_schema": map[string]any{"type": "object", "properties": map[string]any{"text": map[string]any{"type": "string"}}, "required": []string{"text"}}}
	}
	for _, def := range []map[string]any{note("save_note", true), note("save_note_now", false)} {
		if err := gw.publish(ctx, def); err != nil {
			return err
		}
	}
	key, _, err := gw.agentKey(ctx, "bench-bot", "save_note", "save_note_now")
	if err != nil {
		return err
	}
	header := http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"}}
	body := []byte(`{"arguments": {"text": "Call back tomorrow at ten."}, "context": {"user_id": "+255700000001"}}`)
	foreground := &target{name: "foreground", method: http.MethodPost, url: gw.url + "/v1/tools/save_note_now/call",
		header: header, body: body, ok: func(b []byte) bool { return strings.Contains(string(b), `"ok":true`) }}
	accept := &target{name: "accepted", method: http.MethodPost, url: gw.url + "/v1/tools/save_note/call",
		header: header, body: body, status: http.StatusAccepted}
	client := newLoadClient(cfg.concurrency)
	defer client.CloseIdleConnections()

	targets := []*target{foreground, accept}
	results, _, err := interleave(ctx, client, targets, cfg.concurrency, cfg.requests, cfg.rounds, cfg.duration, cfg.warmup)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%s, accepting while %d workers work the queue:", storeName, 10)
	printTable(out, targets, results)
	if err := checkErrors(results); err != nil {
		return err
	}
	fg, acc := results["foreground"], results["accepted"]
	fmt.Fprintf(out, "accepted/foreground throughput: %.2fx\n", acc.throughput()/fg.throughput())
	sum.add("background calls accepted, "+storeName+", c="+fmt.Sprint(cfg.concurrency),
		fmt.Sprintf("%.0f/s (%.2fx foreground)", acc.throughput(), acc.throughput()/fg.throughput()),
		fmt.Sprintf("foreground %.0f/s", fg.throughput()), "≥ 2,000/s")
	if cfg.cpuProfile != "" {
		if _, err := profilePhase(ctx, cfg, client, accept, cfg.cpuProfile+".accepted-"+strings.ToLower(storeName)); err != nil {
			return err
		}
	}

	// Let the workers finish what the accept phase queued.
	if err := waitFinished(ctx, gw, 10*time.Minute); err != nil {
		return err
	}
	// Completion: queue the runs as fast as they are accepted, then wait.
	if cfg.cpuProfile != "" {
		stop, err := startProfile(cfg.cpuProfile + ".completed-" + strings.ToLower(storeName))
		if err != nil {
			return err
		}
		defer stop()
	}
	start, startCPU := time.Now(), processCPU()
	queued := drive(ctx, client, accept, cfg.concurrency, cfg.backgroundRuns, 10*time.Minute)
	if queued.errors > 0 {
		return fmt.Errorf("queueing: %d errors, first: %s", queued.errors, queued.firstErr)
	}
	queuedIn := time.Since(start)
	if err := waitFinished(ctx, gw, 10*time.Minute); err != nil {
		return err
	}
	took, cpu := time.Since(start), processCPU()-startCPU
	rate := float64(queued.requests) / took.Seconds()
	perRun := cpu / time.Duration(queued.requests)
	fmt.Fprintf(out, "completed: %d runs queued in %s, all ended after %s: %.0f runs/s (%.2fx the foreground calls' throughput)\n",
		queued.requests, queuedIn.Round(time.Millisecond), took.Round(time.Millisecond), rate, rate/fg.throughput())
	fmt.Fprintf(out, "CPU per run, accepted and completed: %.0f µs (%.2fx a foreground call's %.0f µs)\n",
		float64(perRun)/1e3, float64(perRun)/float64(fg.cpuPerRequest()), float64(fg.cpuPerRequest())/1e3)
	sum.add("background runs completed, "+storeName, fmt.Sprintf("%.0f/s (%.2fx foreground), CPU %.2fx a foreground call", rate, rate/fg.throughput(),
		float64(perRun)/float64(fg.cpuPerRequest())),
		fmt.Sprintf("foreground %.0f/s", fg.throughput()), "≥ 1,000/s")
	return nil
}

// waitFinished waits until every run in the store has ended.
func waitFinished(ctx context.Context, gw *gatewayInstance, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := gw.app.Recorder.Flush(ctx); err != nil {
			return err
		}
		open, err := gw.anyUnfinished(ctx)
		if err != nil {
			return err
		}
		if !open {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("runs did not end within %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

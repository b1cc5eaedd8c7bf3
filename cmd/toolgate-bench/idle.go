package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"
)

// runIdle measures what toolgate costs with nothing to do: the CPU the
// process uses over -idle-duration with the background queue running on
// SQLite and nothing queued (River's producers and listener, the
// recorder, the sweeps), against the same instance built without the
// queue, measured in alternating rounds. Nothing else runs in the process
// meanwhile.
func runIdle(ctx context.Context, cfg *config, out io.Writer, sum *summary) error {
	dir, err := os.MkdirTemp("", "toolgate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var cpu [2]time.Duration // without, with the queue
	per := cfg.idleDuration / time.Duration(cfg.rounds)
	for round := range cfg.rounds {
		for i, queue := range []bool{false, true} {
			d, err := idleCPU(ctx, dir, fmt.Sprintf("r%d-%t", round, queue), queue, per, "")
			if err != nil {
				return err
			}
			cpu[i] += d
		}
	}
	pct := func(d time.Duration) float64 { return float64(d) / float64(cfg.idleDuration) * 100 }
	fmt.Fprintf(out, "idle for %s (%d rounds): without the queue %.2f%% of a CPU, with the queue on SQLite %.2f%%\n",
		cfg.idleDuration, cfg.rounds, pct(cpu[0]), pct(cpu[1]))
	sum.add("idle CPU, background queue on SQLite", fmt.Sprintf("%.2f%% of a CPU", pct(cpu[1])),
		fmt.Sprintf("without the queue %.2f%%", pct(cpu[0])), "polls rarely")
	if cfg.cpuProfile != "" {
		if _, err := idleCPU(ctx, dir, "profile", true, per, cfg.cpuProfile+".idle"); err != nil {
			return err
		}
	}
	return nil
}

// idleCPU starts an instance in dir/name, lets it settle, and returns the
// CPU the process used over d, profiled into profile when it is set.
func idleCPU(ctx context.Context, dir, name string, queue bool, d time.Duration, profile string) (time.Duration, error) {
	sub := dir + "/" + name
	if err := os.Mkdir(sub, 0o700); err != nil {
		return 0, err
	}
	gw, err := startGateway(ctx, gatewayOptions{dir: sub, queue: queue})
	if err != nil {
		return 0, err
	}
	defer gw.stop(context.Background())
	if err := sleep(ctx, time.Second); err != nil { // startup work settles
		return 0, err
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, err
		}
		defer pprof.StopCPUProfile()
	}
	start := processCPU()
	if err := sleep(ctx, d); err != nil {
		return 0, err
	}
	return processCPU() - start, nil
}

// sleep waits for d or the end of ctx.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/listing/listingtest"
	"github.com/toolgate/toolgate/store"
)

// listingSamples is how many cached listings (and static answers) are
// timed; the median is reported.
const listingSamples = 21

// runListing measures GET /v1/tools?format=openai for an agent with each
// number of tools of -listing-tools, published through the admin use case
// (as the API publishes them): the first listing after publishing, the
// cached listing, and the first listing after a restart (nothing cached in
// memory). The baseline is a plain handler answering the same bytes over
// the same client, in alternation with the cached listing.
func runListing(ctx context.Context, cfg *config, out io.Writer, sum *summary) error {
	for _, n := range cfg.listingTools {
		if err := listingOf(ctx, out, sum, n); err != nil {
			return err
		}
	}
	return nil
}

func listingOf(ctx context.Context, out io.Writer, sum *summary, n int) error {
	dir, err := os.MkdirTemp("", "toolgate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opts := gatewayOptions{dir: dir}
	gw, err := startGateway(ctx, opts)
	if err != nil {
		return err
	}
	defer gw.stop(context.Background())
	start := time.Now()
	in := &admin.AgentInput{Name: "bench-bot"}
	defs := listingtest.ToolDefinitions()
	for i := range n {
		def := maps.Clone(defs[i%len(defs)])
		def["name"] = fmt.Sprintf("%s_%d", def["name"], i)
		raw, err := json.Marshal(def)
		if err != nil {
			return err
		}
		t, err := gw.app.Admin.Tools.Create(ctx, gw.ws.ID, raw)
		if err != nil {
			return err
		}
		if _, err := gw.app.Admin.Tools.Publish(ctx, gw.ws.ID, t.ID); err != nil {
			return err
		}
		in.Tools = append(in.Tools, store.AgentTool{Name: t.Name})
	}
	agent, err := gw.app.Admin.Agents.Create(ctx, gw.ws.ID, in)
	if err != nil {
		return err
	}
	k, err := gw.api(ctx, "POST", "/v1/admin/keys", map[string]any{"name": "bench key", "role": "agent", "agent_id": agent.ID})
	if err != nil {
		return err
	}
	key := fmt.Sprint(k["key"])
	fmt.Fprintf(out, "\n%d tools published in %s\n", n, time.Since(start).Round(time.Millisecond))

	client := newLoadClient(1)
	client.Timeout = 10 * time.Minute // a cold listing of 10,000 tools took 14 s before it was persisted
	defer client.CloseIdleConnections()
	get := func(url string) (time.Duration, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		took := time.Since(t0)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, body)
		}
		return took, body, err
	}
	const path = "/v1/tools?format=openai"
	first, body, err := get(gw.url + path)
	if err != nil {
		return err
	}
	static, staticURL, err := listen(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	}))
	if err != nil {
		return err
	}
	defer static.Close()
	var cached, served []time.Duration
	for range listingSamples {
		for _, u := range []string{gw.url + path, staticURL} {
			took, _, err := get(u)
			if err != nil {
				return err
			}
			if u == staticURL {
				served = append(served, took)
			} else {
				cached = append(cached, took)
			}
		}
	}
	if err := gw.restart(ctx, opts); err != nil {
		return err
	}
	afterRestart, _, err := get(gw.url + path)
	if err != nil {
		return err
	}
	median := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	c, s := median(cached), median(served)
	fmt.Fprintf(out, "%d tools (%d KiB): first listing %s ms, first after a restart %s ms, cached %s ms (median of %d); the same bytes from a plain handler %s ms\n",
		n, len(body)>>10, ms(first), ms(afterRestart), ms(c), listingSamples, ms(s))
	goal := "< 200 ms"
	if n >= 10000 {
		goal = "< 2 s"
	}
	sum.add(fmt.Sprintf("first listing, %d tools", n), fmt.Sprintf("%s ms (after a restart %s ms)", ms(first), ms(afterRestart)),
		fmt.Sprintf("plain handler %s ms", ms(s)), goal)
	goal = ""
	if n >= 10000 {
		goal = "< 50 ms"
	}
	sum.add(fmt.Sprintf("cached listing, %d tools", n), fmt.Sprintf("%s ms (%.1fx the plain handler)", ms(c), float64(c)/float64(s)),
		fmt.Sprintf("plain handler %s ms", ms(s)), goal)
	return nil
}

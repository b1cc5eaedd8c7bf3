package main

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// target is one HTTP endpoint the load generator drives: every request is
// the same method, URL, headers and body.
type target struct {
	name   string
	method string
	url    string
	header http.Header
	body   []byte
	// headers, when set, are per connection: worker i sends
	// headers[i%len(headers)] instead of header (an MCP session each).
	headers []http.Header
	// status is the success status. Defaults to 200.
	status int
	// ok reports whether a 2xx answer is a success (toolgate answers 200
	// for a failed upstream call too, with "ok":false).
	ok func(body []byte) bool
}

// outcome is what one load phase measured.
type outcome struct {
	name      string
	requests  int // completed, successes and errors
	errors    int
	successes int
	// answered counts HTTP 200 answers, successful or not: for toolgate,
	// each is one recorded run.
	answered int
	elapsed  time.Duration
	// cpu is the CPU time the whole process (load generator, upstream,
	// proxy and toolgate alike) spent during the phase.
	cpu      time.Duration
	firstErr string
	// latencies of the successful requests, sorted.
	latencies []time.Duration
}

func (o *outcome) throughput() float64 {
	if o.elapsed <= 0 {
		return 0
	}
	return float64(o.requests) / o.elapsed.Seconds()
}

// cpuPerRequest is the process's CPU time per completed request.
func (o *outcome) cpuPerRequest() time.Duration {
	if o.requests == 0 {
		return 0
	}
	return o.cpu / time.Duration(o.requests)
}

// merge adds another phase of the same target to o.
func (o *outcome) merge(p *outcome) {
	o.requests += p.requests
	o.errors += p.errors
	o.successes += p.successes
	o.answered += p.answered
	o.elapsed += p.elapsed
	o.cpu += p.cpu
	if o.firstErr == "" {
		o.firstErr = p.firstErr
	}
	o.latencies = append(o.latencies, p.latencies...)
	slices.Sort(o.latencies)
}

// percentile returns the q-quantile (0 < q <= 1) of the successful
// requests' latencies, by the nearest-rank method.
func (o *outcome) percentile(q float64) time.Duration {
	if len(o.latencies) == 0 {
		return 0
	}
	rank := int(q*float64(len(o.latencies))+0.5) - 1
	return o.latencies[min(max(rank, 0), len(o.latencies)-1)]
}

// Latency slots that hold no successful request.
const (
	slotUnused = -1 // claimed after the deadline, never sent
	slotFailed = -2
)

// drive runs a closed loop of workers against t until n requests are done
// or maxDur has passed, whichever comes first. Each worker sends its next
// request as soon as the previous answer is read. Latencies go into one
// slice preallocated for n requests.
func drive(ctx context.Context, client *http.Client, t *target, workers, n int, maxDur time.Duration) *outcome {
	lat := make([]int64, n)
	cpuStart := processCPU()
	var (
		next      atomic.Int64
		errs      atomic.Int64
		answered  atomic.Int64
		firstErr  atomic.Pointer[string]
		wg        sync.WaitGroup
		start     = time.Now()
		deadline  = start.Add(maxDur)
		noteError = func(msg string) {
			errs.Add(1)
			firstErr.CompareAndSwap(nil, &msg)
		}
	)
	want := cmp.Or(t.status, http.StatusOK)
	for w := range workers {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, t.method, t.url, nil)
			if err != nil {
				noteError(err.Error())
				return
			}
			req.Header = t.header
			if len(t.headers) > 0 {
				req.Header = t.headers[w%len(t.headers)]
			}
			var buf bytes.Buffer
			buf.Grow(4096)
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				sent := time.Now()
				if sent.After(deadline) || ctx.Err() != nil {
					lat[i] = slotUnused
					return
				}
				if t.body != nil {
					req.Body = io.NopCloser(bytes.NewReader(t.body))
					req.ContentLength = int64(len(t.body))
				}
				resp, err := client.Do(req)
				if err != nil {
					lat[i] = slotFailed
					noteError(err.Error())
					continue
				}
				buf.Reset()
				_, err = buf.ReadFrom(resp.Body)
				resp.Body.Close()
				took := time.Since(sent)
				switch {
				case err != nil:
					lat[i] = slotFailed
					noteError("reading the answer: " + err.Error())
				case resp.StatusCode != want:
					lat[i] = slotFailed
					noteError(resp.Status + ": " + string(buf.Bytes()))
				default:
					answered.Add(1)
					if t.ok != nil && !t.ok(buf.Bytes()) {
						lat[i] = slotFailed
						noteError("call failed: " + string(buf.Bytes()))
						continue
					}
					lat[i] = int64(took)
				}
			}
		})
	}
	wg.Wait()
	o := &outcome{name: t.name, elapsed: time.Since(start), cpu: processCPU() - cpuStart,
		errors: int(errs.Load()), answered: int(answered.Load())}
	if p := firstErr.Load(); p != nil {
		o.firstErr = *p
	}
	o.latencies = make([]time.Duration, 0, n)
	for _, v := range lat[:min(int(next.Load()), n)] {
		switch v {
		case slotUnused:
		case slotFailed:
			o.requests++
		default:
			o.requests++
			o.latencies = append(o.latencies, time.Duration(v))
		}
	}
	o.successes = len(o.latencies)
	slices.Sort(o.latencies)
	return o
}

// newLoadClient is the load generator's one client: keep-alive with an idle
// pool big enough that no worker ever dials a new connection after warmup.
func newLoadClient(workers int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        4 * workers,
			MaxIdleConnsPerHost: 2 * workers,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout: 30 * time.Second,
	}
}

package tools

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the engine's Prometheus instruments.
type Metrics struct {
	calls           *prometheus.CounterVec
	callLatency     *prometheus.HistogramVec
	upstreamLatency *prometheus.HistogramVec
	recorderQueue   prometheus.Gauge
	recorderBytes   prometheus.Gauge
	recorderDrops   prometheus.Counter
	recorderRefused prometheus.Counter
	recorderErrors  prometheus.Counter
	recorderDetails prometheus.Counter
}

// NewMetrics creates the engine's instruments and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	buckets := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120}
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toolgate_tool_calls_total", Help: "Tool calls by tool and outcome.",
		}, []string{"tool", "outcome"}),
		callLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "toolgate_tool_call_duration_seconds", Help: "Time to complete a tool call, end to end.", Buckets: buckets,
		}, []string{"tool"}),
		upstreamLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "toolgate_upstream_duration_seconds", Help: "Time of the upstream HTTP exchange.", Buckets: buckets,
		}, []string{"tool"}),
		recorderQueue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "toolgate_run_recorder_queue_depth",
			Help: "Runs not yet written: queued, or kept while the store refuses writes.",
		}),
		recorderBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "toolgate_run_recorder_pending_bytes", Help: "Estimated memory held by the runs not yet written.",
		}),
		recorderDrops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "toolgate_run_recorder_dropped_total",
			Help: "Runs that were never written: dropped in best-effort mode, refused by the store, or pending at shutdown (should stay 0).",
		}),
		recorderRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "toolgate_run_recorder_refused_calls_total",
			Help: "Calls refused before anything was sent because the unwritten runs fill the recorder's buffer (run_history_unavailable).",
		}),
		recorderErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "toolgate_run_recorder_write_errors_total", Help: "Failed attempts to write runs to the store.",
		}),
		recorderDetails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "toolgate_run_recorder_details_refused_total",
			Help: "Runs the store took only without their details (arguments, request, response).",
		}),
	}
	reg.MustRegister(m.calls, m.callLatency, m.upstreamLatency, m.recorderQueue, m.recorderBytes, m.recorderDrops,
		m.recorderRefused, m.recorderErrors, m.recorderDetails)
	return m
}

// Dropped is the counter of runs that could not be stored.
func (m *Metrics) Dropped() prometheus.Counter { return m.recorderDrops }

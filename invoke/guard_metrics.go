package invoke

import "github.com/prometheus/client_golang/prometheus"

// guardMetrics count what the guardrails decided.
type guardMetrics struct {
	confirmations *prometheus.CounterVec
	approvals     *prometheus.CounterVec
	limited       *prometheus.CounterVec
	cache         *prometheus.CounterVec
}

// newGuardMetrics registers the guardrail counters on reg (nil: counted
// but not exported).
func newGuardMetrics(reg prometheus.Registerer) *guardMetrics {
	m := &guardMetrics{
		confirmations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toolgate_confirmations_total",
			Help: "Caller confirmations by tool and result: requested (the model was asked to read one back) or confirmed (a token ran the call).",
		}, []string{"tool", "result"}),
		approvals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toolgate_approvals_total",
			Help: "Human approvals by tool and result: requested, approved, rejected or expired.",
		}, []string{"tool", "result"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toolgate_limited_calls_total",
			Help: "Calls a limit held back (nothing sent) by tool and limit: rate or concurrency.",
		}, []string{"tool", "limit"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "toolgate_cache_lookups_total",
			Help: "Response cache lookups by tool and result: hit (nothing sent) or miss.",
		}, []string{"tool", "result"}),
	}
	if reg != nil {
		reg.MustRegister(m.confirmations, m.approvals, m.limited, m.cache)
	}
	return m
}

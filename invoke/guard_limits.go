package invoke

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// ConcurrencyRetryAfter is when a call held back by a concurrency limit is
// told to try again: how long a slot is held is not known in advance.
const ConcurrencyRetryAfter = time.Second

// slotLeaseMargin is how long, beyond the longest its call may take
// (tools.Call.MaxDuration), a concurrency slot stays held by a call that
// never released it (its replica died).
const slotLeaseMargin = 30 * time.Second

// boundLimit is a limit of the call's tool or connection with the key of
// the counter it takes from.
type boundLimit struct {
	tools.Limit
	key string
}

// limitsOf returns the limits that apply to a call: its tool's, then its
// connection's. Each counts in its own counter, named by a hash of who
// declared it, what it counts, the value counted (the agent, the user...)
// and the limit itself (so a changed limit starts afresh).
func limitsOf(call *tools.Call) []boundLimit {
	var out []boundLimit
	add := func(owner string, limits []tools.Limit) {
		for _, l := range limits {
			var value string
			switch l.Key {
			case tools.LimitKeyTool:
				value = call.Tool.ToolID
			case tools.LimitKeyAgent:
				value = call.AgentID
			case tools.LimitKeyUser:
				value = userOf(call)
			case tools.LimitKeyConversation:
				value = conversationOf(call)
			case tools.LimitKeyConnection:
				if call.Conn == nil {
					continue
				}
				// Shared by every tool of the connection that declares it.
				owner, value = "connection", call.Conn.ID
			default:
				continue
			}
			h := sha256.New()
			for _, part := range []string{owner, l.Key, value, l.Rate, strconv.Itoa(l.EffectiveBurst()), strconv.Itoa(l.Concurrency)} {
				h.Write([]byte(part))
				h.Write([]byte{0})
			}
			out = append(out, boundLimit{Limit: l, key: hex.EncodeToString(h.Sum(nil))})
		}
	}
	if d := call.Tool.Def; d != nil && len(d.Limits) > 0 {
		add("tool:"+call.Tool.ToolID, d.Limits)
	}
	if call.Conn != nil && len(call.Conn.Limits) > 0 {
		add("conn:"+call.Conn.ID, call.Conn.Limits)
	}
	return out
}

// acquireLimits takes a slot of every concurrency limit and a call from
// every rate limit, all or none: the concurrency slots first (cheap to give
// back), then the rate buckets in one step. A call held back gets how long
// to wait, and holds nothing. release frees the slots after the call.
func (iv *Invoker) acquireLimits(ctx context.Context, call *tools.Call) (release func(), wait time.Duration, err error) {
	limits := limitsOf(call)
	release = func() {}
	if len(limits) == 0 {
		return release, 0, nil
	}
	now := iv.now().UTC()
	until := now.Add(call.MaxDuration() + slotLeaseMargin)
	var leases []store.SlotLease
	free := func() {
		rctx := context.WithoutCancel(ctx)
		for _, l := range leases {
			if err := iv.store.SlotRelease(rctx, l); err != nil {
				iv.log.WarnContext(ctx, "releasing a concurrency slot (it frees itself when its lease ends)",
					"run_id", call.RunID, "err", err)
			}
		}
	}
	var buckets []store.RateBucket
	for _, l := range limits {
		if l.Concurrency == 0 {
			buckets = append(buckets, store.RateBucket{Key: l.key, Interval: l.Interval(), Burst: l.EffectiveBurst()})
			continue
		}
		lease, ok, err := iv.store.SlotAcquire(ctx, call.WorkspaceID, l.key, l.Concurrency, call.RunID, now, until)
		if err != nil {
			free()
			return release, 0, err
		}
		if !ok {
			free()
			iv.metrics.limited.WithLabelValues(call.Tool.Name, "concurrency").Inc()
			return release, ConcurrencyRetryAfter, nil
		}
		leases = append(leases, lease)
	}
	if len(buckets) > 0 {
		wait, err := iv.store.RateTake(ctx, call.WorkspaceID, buckets, now)
		if err != nil || wait > 0 {
			free()
			if wait > 0 {
				iv.metrics.limited.WithLabelValues(call.Tool.Name, "rate").Inc()
			}
			return release, wait, err
		}
	}
	return free, 0, nil
}

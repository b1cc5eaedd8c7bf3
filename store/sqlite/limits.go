package sqlite

import (
	"context"
	"sync"
	"time"

	"github.com/toolgate/toolgate/store"
)

// limits holds a SQLite store's rate and concurrency state in memory. One
// process owns a SQLite file, so this process's view is exact; keeping it
// out of the file spares every limited call one or two write
// transactions. A restart starts rate limits afresh (the calls that held
// concurrency slots died with the process).
type limits struct {
	mu sync.Mutex
	// tats are the rate buckets' theoretical arrival times (microseconds).
	tats map[limitKey]int64
	// slots are the concurrency slots held, by number.
	slots map[limitKey]map[int]slotHolder
}

type limitKey struct{ workspaceID, key string }

type slotHolder struct {
	holder string
	until  time.Time
}

// RateTake implements store.GuardrailStore: GCRA over every bucket, all or
// none.
func (s *Store) RateTake(_ context.Context, workspaceID string, buckets []store.RateBucket, now time.Time) (time.Duration, error) {
	l := &s.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tats == nil {
		l.tats = map[limitKey]int64{}
	}
	nowUS := micros(now)
	next := make([]int64, len(buckets))
	for i, b := range buckets {
		interval := b.Interval.Microseconds()
		tat := max(l.tats[limitKey{workspaceID, b.Key}], nowUS) + interval
		if tat-nowUS > int64(b.Burst)*interval {
			return rateWait(l.tats[limitKey{workspaceID, b.Key}], nowUS, interval, b.Burst), nil
		}
		next[i] = tat
	}
	for i, b := range buckets {
		l.tats[limitKey{workspaceID, b.Key}] = next[i]
	}
	return 0, nil
}

// rateWait is how long until a call would be admitted by a bucket whose
// theoretical arrival time is tat (all in microseconds).
func rateWait(tat, now, interval int64, burst int) time.Duration {
	return time.Duration(max(max(tat, now)+interval-now-int64(burst)*interval, 1)) * time.Microsecond
}

// SlotAcquire implements store.GuardrailStore: the smallest free slot (one
// never taken, released or whose lease ended).
func (s *Store) SlotAcquire(_ context.Context, workspaceID, key string, limit int, holder string, now, until time.Time) (store.SlotLease, bool, error) {
	lease := store.SlotLease{WorkspaceID: workspaceID, Key: key, Holder: holder}
	l := &s.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.slots == nil {
		l.slots = map[limitKey]map[int]slotHolder{}
	}
	k := limitKey{workspaceID, key}
	held := l.slots[k]
	if held == nil {
		held = map[int]slotHolder{}
		l.slots[k] = held
	}
	for n := range limit {
		if h, ok := held[n]; ok && h.until.After(now) {
			continue
		}
		held[n] = slotHolder{holder: holder, until: until}
		lease.Slot = n
		return lease, true, nil
	}
	return lease, false, nil
}

// SlotRelease implements store.GuardrailStore.
func (s *Store) SlotRelease(_ context.Context, lease store.SlotLease) error {
	l := &s.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	k := limitKey{lease.WorkspaceID, lease.Key}
	if h, ok := l.slots[k][lease.Slot]; ok && h.holder == lease.Holder {
		delete(l.slots[k], lease.Slot)
		if len(l.slots[k]) == 0 {
			delete(l.slots, k)
		}
	}
	return nil
}

// sweep forgets the rate states that are as good as fresh at now and the
// leases that ended, and returns how many went.
func (l *limits) sweep(now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for k, tat := range l.tats {
		if tat <= micros(now) {
			delete(l.tats, k)
			n++
		}
	}
	for k, held := range l.slots {
		for slot, h := range held {
			if !h.until.After(now) {
				delete(held, slot)
				n++
			}
		}
		if len(held) == 0 {
			delete(l.slots, k)
		}
	}
	return n
}

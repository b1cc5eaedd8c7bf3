package keylock

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestLockExcludesPerKey(t *testing.T) {
	var (
		m        Map
		inside   atomic.Int32
		overlaps atomic.Int32
		wg       sync.WaitGroup
	)
	for range 50 {
		wg.Go(func() {
			unlock, err := m.Lock(t.Context(), "k")
			if err != nil {
				t.Errorf("Lock: %v", err)
				return
			}
			if inside.Add(1) != 1 {
				overlaps.Add(1)
			}
			inside.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("got %d overlapping holders, want 0", n)
	}
	if n := m.Len(); n != 0 {
		t.Errorf("Len after all unlocked: got %d, want 0", n)
	}
}

func TestLockKeysAreIndependent(t *testing.T) {
	var m Map
	unlockA, err := m.Lock(t.Context(), "a")
	if err != nil {
		t.Fatalf("Lock(a): %v", err)
	}
	defer unlockA()
	unlockB, err := m.Lock(t.Context(), "b")
	if err != nil {
		t.Fatalf("Lock(b) while a is held: %v", err)
	}
	unlockB()
}

func TestLockHonoursContext(t *testing.T) {
	var m Map
	unlock, err := m.Lock(t.Context(), "k")
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := m.Lock(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock(held key, canceled ctx): got %v, want %v", err, context.Canceled)
	}
	unlock()
	if n := m.Len(); n != 0 {
		t.Errorf("Len after unlock: got %d, want 0", n)
	}
	unlock, err = m.Lock(t.Context(), "k")
	if err != nil {
		t.Fatalf("Lock after cancellation: %v", err)
	}
	unlock()
}

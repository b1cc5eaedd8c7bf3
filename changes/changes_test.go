package changes

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// loopback is a Transport that hands every sent change to its listener,
// as another replica's would.
type loopback struct {
	sent    chan Change
	sendErr error
}

func (l *loopback) Send(_ context.Context, c Change) error {
	if l.sendErr != nil {
		return l.sendErr
	}
	l.sent <- c
	return nil
}

func (l *loopback) Listen(ctx context.Context, deliver func(Change)) error {
	for {
		select {
		case c := <-l.sent:
			deliver(c)
		case <-ctx.Done():
			return nil
		}
	}
}

func TestBusDeliversHereAndSends(t *testing.T) {
	tr := &loopback{sent: make(chan Change, 4)}
	bus := NewBus(tr, nil)
	var got []Change
	bus.Subscribe(func(c Change) { got = append(got, c) })
	c := Change{WorkspaceID: "ws", What: Tools, ID: "t1"}
	bus.Notify(context.Background(), c)
	if diff := cmp.Diff([]Change{c}, got); diff != "" {
		t.Fatalf("delivered here (-want +got):\n%s", diff)
	}
	if sent := <-tr.sent; sent != c {
		t.Fatalf("sent %+v, want %+v", sent, c)
	}
}

func TestBusRunDeliversOtherReplicas(t *testing.T) {
	tr := &loopback{sent: make(chan Change, 4)}
	bus := NewBus(tr, nil)
	heard := make(chan Change, 1)
	bus.Subscribe(func(c Change) { heard <- c })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bus.Run(ctx) }()
	remote := Change{WorkspaceID: "ws", What: Keys, ID: "k1"}
	tr.sent <- remote
	if c := <-heard; c != remote {
		t.Fatalf("heard %+v, want %+v", c, remote)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestBusSendFailureStillDeliversHere(t *testing.T) {
	bus := NewBus(&loopback{sendErr: errors.New("database down")}, nil)
	n := 0
	bus.Subscribe(func(Change) { n++ })
	bus.Notify(context.Background(), Change{WorkspaceID: "ws", What: Agents})
	if n != 1 {
		t.Fatalf("delivered %d times here, want 1", n)
	}
}

func TestAffects(t *testing.T) {
	for _, tt := range []struct {
		c    Change
		what []What
		want bool
	}{
		{Change{WorkspaceID: "ws", What: Tools}, []What{Tools, Agents}, true},
		{Change{WorkspaceID: "ws", What: Keys}, []What{Tools, Agents}, false},
		{Change{}, []What{Tools}, true}, // everything
	} {
		if got := tt.c.Affects(tt.what...); got != tt.want {
			t.Errorf("%+v.Affects(%v) = %v, want %v", tt.c, tt.what, got, tt.want)
		}
	}
}

package background

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// River's SQLite driver has no LISTEN: its notifications are rows of a
// table that a listener polls every 50 ms, and the producers poll for jobs
// besides; with nothing queued that was 3% of a CPU. One process owns a
// SQLite file, so its notifications can stay in memory: sqliteDriver is
// riversqlite's driver with NotifyMany delivered in process and a listener
// that waits on a channel. A notification sent inside a transaction
// arrives before the commit; the producer it wakes then fetches through
// the same single write connection, which it gets once the transaction has
// ended, so it sees the jobs committed.

// sqliteDriver is riversqlite's driver with in-process notifications.
type sqliteDriver struct {
	*riversqlite.Driver
	hub *notifyHub
}

var _ riverdriver.Driver[*sql.Tx] = (*sqliteDriver)(nil)

func newSQLiteDriver(db *sql.DB) *sqliteDriver {
	return &sqliteDriver{Driver: riversqlite.New(db), hub: &notifyHub{}}
}

func (d *sqliteDriver) GetExecutor() riverdriver.Executor {
	return &sqliteExecutor{Executor: d.Driver.GetExecutor(), hub: d.hub}
}

func (d *sqliteDriver) UnwrapExecutor(tx *sql.Tx) riverdriver.ExecutorTx {
	return &sqliteExecutorTx{ExecutorTx: d.Driver.UnwrapExecutor(tx), hub: d.hub}
}

func (d *sqliteDriver) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	return &memoryListener{hub: d.hub, schema: params.Schema}
}

// sqliteExecutor and sqliteExecutorTx deliver notifications in process and
// keep the transactions they begin doing so.
type sqliteExecutor struct {
	riverdriver.Executor
	hub *notifyHub
}

func (e *sqliteExecutor) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	tx, err := e.Executor.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &sqliteExecutorTx{ExecutorTx: tx, hub: e.hub}, nil
}

func (e *sqliteExecutor) NotifyMany(_ context.Context, params *riverdriver.NotifyManyParams) error {
	e.hub.notify(params.Topic, params.Payload)
	return nil
}

type sqliteExecutorTx struct {
	riverdriver.ExecutorTx
	hub *notifyHub
}

func (e *sqliteExecutorTx) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	tx, err := e.ExecutorTx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &sqliteExecutorTx{ExecutorTx: tx, hub: e.hub}, nil
}

func (e *sqliteExecutorTx) NotifyMany(_ context.Context, params *riverdriver.NotifyManyParams) error {
	e.hub.notify(params.Topic, params.Payload)
	return nil
}

// notifyHub hands notifications to the listeners of one driver.
type notifyHub struct {
	mu        sync.Mutex
	listeners map[*memoryListener]bool
}

// listenerBuffer bounds the notifications a listener has not taken yet;
// beyond it they are dropped (they are hints: producers also poll).
const listenerBuffer = 1024

func (h *notifyHub) notify(topic string, payloads []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for l := range h.listeners {
		l.deliver(topic, payloads)
	}
}

// memoryListener is a riverdriver.Listener on a notifyHub.
type memoryListener struct {
	hub    *notifyHub
	schema string

	mu        sync.Mutex
	connected bool
	topics    map[string]bool
	ch        chan *riverdriver.Notification
}

var _ riverdriver.Listener = (*memoryListener)(nil)

func (l *memoryListener) Connect(context.Context) error {
	l.mu.Lock()
	if l.connected {
		l.mu.Unlock()
		return errors.New("connection already established")
	}
	l.connected = true
	l.topics = map[string]bool{}
	l.ch = make(chan *riverdriver.Notification, listenerBuffer)
	l.mu.Unlock()
	// The hub's lock is taken before a listener's (see notify), never
	// while holding it.
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	if l.hub.listeners == nil {
		l.hub.listeners = map[*memoryListener]bool{}
	}
	l.hub.listeners[l] = true
	return nil
}

func (l *memoryListener) Close(context.Context) error {
	l.hub.mu.Lock()
	delete(l.hub.listeners, l)
	l.hub.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.connected = false
	l.topics = nil
	return nil
}

func (l *memoryListener) Listen(_ context.Context, topic string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return errors.New("listener is not connected")
	}
	l.topics[topic] = true
	return nil
}

func (l *memoryListener) Unlisten(_ context.Context, topic string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return errors.New("listener is not connected")
	}
	delete(l.topics, topic)
	return nil
}

// deliver queues the notifications of a topic the listener listens to.
func (l *memoryListener) deliver(topic string, payloads []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected || !l.topics[topic] {
		return
	}
	for _, p := range payloads {
		select {
		case l.ch <- &riverdriver.Notification{Topic: topic, Payload: p}:
		default:
		}
	}
}

func (l *memoryListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	l.mu.Lock()
	ch := l.ch
	l.mu.Unlock()
	if ch == nil {
		return nil, errors.New("listener is not connected")
	}
	select {
	case n := <-ch:
		return n, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *memoryListener) Ping(context.Context) error { return nil }

func (l *memoryListener) Schema() string { return l.schema }

func (l *memoryListener) SetAfterConnectExec(string) {}

package background

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
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
//
// A job cancelled while it runs is told to its producer by a control
// notice, which riversqlite's JobCancel writes as a row of
// river_notification instead of through NotifyMany; no listener here reads
// that table, and since a listener exists River's producers do not poll for
// cancellations either. So JobCancel runs without its control topic and
// the notice goes through the hub, once the transaction that cancelled the
// job has committed: a cancel rolled back must not stop the attempt.

// sqliteDriver is riversqlite's driver with in-process notifications.
type sqliteDriver struct {
	*riversqlite.Driver
	hub *notifyHub

	mu sync.Mutex
	// held keeps the notices made in transactions the queue began (see
	// UnwrapExecutor) until sqliteOps commits or rolls them back.
	held map[*sql.Tx][]notice
}

var _ riverdriver.Driver[*sql.Tx] = (*sqliteDriver)(nil)

func newSQLiteDriver(db *sql.DB) *sqliteDriver {
	return &sqliteDriver{Driver: riversqlite.New(db), hub: &notifyHub{}}
}

func (d *sqliteDriver) GetExecutor() riverdriver.Executor {
	return &sqliteExecutor{Executor: d.Driver.GetExecutor(), hub: d.hub}
}

func (d *sqliteDriver) UnwrapExecutor(tx *sql.Tx) riverdriver.ExecutorTx {
	return &sqliteExecutorTx{ExecutorTx: d.Driver.UnwrapExecutor(tx), hub: d.hub,
		hold: func(n notice) { d.hold(tx, n) }}
}

// hold keeps a notice made in tx until tx ends.
func (d *sqliteDriver) hold(tx *sql.Tx, n notice) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.held == nil {
		d.held = map[*sql.Tx][]notice{}
	}
	d.held[tx] = append(d.held[tx], n)
}

// ended delivers the notices held for tx if it committed and forgets them
// either way. Every transaction given to UnwrapExecutor must end through it.
func (d *sqliteDriver) ended(tx *sql.Tx, committed bool) {
	d.mu.Lock()
	held := d.held[tx]
	delete(d.held, tx)
	d.mu.Unlock()
	if committed {
		d.hub.publish(held)
	}
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
	return newSQLiteExecutorTx(tx, e.hub, e.hub.publish), nil
}

func (e *sqliteExecutor) JobCancel(ctx context.Context, params *riverdriver.JobCancelParams) (*rivertype.JobRow, error) {
	// Outside a transaction the cancel has committed when this returns.
	return jobCancel(ctx, e.Executor, params, func(n notice) { e.hub.publish([]notice{n}) })
}

func (e *sqliteExecutor) NotifyMany(_ context.Context, params *riverdriver.NotifyManyParams) error {
	e.hub.notify(params.Topic, params.Payload)
	return nil
}

type sqliteExecutorTx struct {
	riverdriver.ExecutorTx
	hub *notifyHub
	// hold keeps a notice until the transaction commits.
	hold func(notice)
	// For a transaction begun through an executor: the notices it holds,
	// and where they go when it commits (the hub, or the enclosing
	// transaction of a savepoint).
	held    *heldNotices
	release func([]notice)
}

func newSQLiteExecutorTx(tx riverdriver.ExecutorTx, hub *notifyHub, release func([]notice)) *sqliteExecutorTx {
	held := &heldNotices{}
	return &sqliteExecutorTx{ExecutorTx: tx, hub: hub, hold: held.add, held: held, release: release}
}

func (e *sqliteExecutorTx) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	tx, err := e.ExecutorTx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return newSQLiteExecutorTx(tx, e.hub, func(ns []notice) {
		for _, n := range ns {
			e.hold(n)
		}
	}), nil
}

func (e *sqliteExecutorTx) Commit(ctx context.Context) error {
	if err := e.ExecutorTx.Commit(ctx); err != nil {
		return err
	}
	if e.held != nil {
		e.release(e.held.take())
	}
	return nil
}

func (e *sqliteExecutorTx) Rollback(ctx context.Context) error {
	if e.held != nil {
		e.held.take()
	}
	return e.ExecutorTx.Rollback(ctx)
}

func (e *sqliteExecutorTx) JobCancel(ctx context.Context, params *riverdriver.JobCancelParams) (*rivertype.JobRow, error) {
	return jobCancel(ctx, e.ExecutorTx, params, e.hold)
}

// notice is a notification not yet delivered.
type notice struct {
	topic   string
	payload string
}

// heldNotices are the notices of a transaction not yet committed.
type heldNotices struct {
	mu   sync.Mutex
	list []notice
}

func (h *heldNotices) add(n notice) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.list = append(h.list, n)
}

func (h *heldNotices) take() []notice {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.list
	h.list = nil
	return list
}

// cancelNotice is the payload of River's control notice for a cancelled
// job (river's controlEventPayload with action "cancel", as riversqlite's
// NotificationInsertJobCancel writes it).
type cancelNotice struct {
	Action string `json:"action"`
	JobID  int64  `json:"job_id"`
	Queue  string `json:"queue"`
}

// jobCancel cancels a job through exec without writing its control notice
// to river_notification, and gives the notice to send instead if the job
// is running (a job that is not has been cancelled outright, or had
// finished).
func jobCancel(ctx context.Context, exec riverdriver.Executor, params *riverdriver.JobCancelParams, send func(notice)) (*rivertype.JobRow, error) {
	topic := params.ControlTopic
	inner := *params
	inner.ControlTopic = ""
	job, err := exec.JobCancel(ctx, &inner)
	if err != nil || topic == "" || job.State != rivertype.JobStateRunning {
		return job, err
	}
	payload, err := json.Marshal(cancelNotice{Action: "cancel", JobID: job.ID, Queue: job.Queue})
	if err != nil {
		return nil, fmt.Errorf("encoding the cancel notice of job %d: %w", job.ID, err)
	}
	send(notice{topic: topic, payload: string(payload)})
	return job, nil
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

// publish delivers notices in order.
func (h *notifyHub) publish(ns []notice) {
	for _, n := range ns {
		h.notify(n.topic, []string{n.payload})
	}
}

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

package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/toolgate/toolgate/changes"
)

// Reconnect bounds of the change listener.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// notifyMessage is the payload of a change notification.
type notifyMessage struct {
	// Origin names the replica that made the change; it skips its own.
	Origin string         `json:"o"`
	Change changes.Change `json:"c"`
}

// ChangeTransport returns a changes.Transport over PostgreSQL
// LISTEN/NOTIFY, so that every replica sharing the database (and schema)
// hears of a change made through any of them at once.
func (s *Store) ChangeTransport() changes.Transport {
	var origin [8]byte
	_, _ = rand.Read(origin[:])
	sum := sha256.Sum256([]byte(s.schema))
	return &notifier{store: s, channel: "toolgate_changes_" + hex.EncodeToString(sum[:8]), origin: hex.EncodeToString(origin[:])}
}

// notifier is a changes.Transport over LISTEN/NOTIFY. The channel is
// scoped to the store's schema (notifications are database-wide).
type notifier struct {
	store   *Store
	channel string
	origin  string
}

// Send publishes a change to the other replicas.
func (n *notifier) Send(ctx context.Context, c changes.Change) error {
	payload, err := json.Marshal(notifyMessage{Origin: n.origin, Change: c})
	if err != nil {
		return err
	}
	_, err = n.store.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, n.channel, string(payload))
	return err
}

// Listen delivers the other replicas' changes until ctx ends, reconnecting
// with backoff when its connection breaks; after a reconnection it
// delivers a change with no workspace: anything may have changed meanwhile.
func (n *notifier) Listen(ctx context.Context, deliver func(changes.Change)) error {
	wait := listenRetryMin
	first := true
	for ctx.Err() == nil {
		if n.listen(ctx, deliver, !first) {
			first, wait = false, listenRetryMin
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, listenRetryMax)
	}
	return nil
}

// listen holds one connection listening until it breaks or ctx ends; it
// reports whether it listened at all.
func (n *notifier) listen(ctx context.Context, deliver func(changes.Change), missed bool) bool {
	conn, err := n.store.pool.Acquire(ctx)
	if err != nil {
		return false
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT set_config('application_name', 'toolgate-changes', false)`); err != nil {
		return false
	}
	if _, err := conn.Exec(ctx, `LISTEN `+quoteIdent(n.channel)); err != nil {
		return false
	}
	defer func() {
		// The connection goes back to the pool: stop listening on it.
		uctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `UNLISTEN *`); err != nil {
			conn.Conn().Close(uctx)
		}
	}()
	if missed {
		deliver(changes.Change{})
	}
	for {
		note, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return true
		}
		var m notifyMessage
		if json.Unmarshal([]byte(note.Payload), &m) != nil || m.Origin == n.origin {
			continue
		}
		deliver(m.Change)
	}
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string { return `"` + s + `"` }

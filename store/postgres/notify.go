package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	return &notifier{pool: s, channel: "toolgate_changes_" + hex.EncodeToString(sum[:8]), origin: hex.EncodeToString(origin[:])}
}

// notifier is a changes.Transport over LISTEN/NOTIFY. The channel is
// scoped to the store's schema (notifications are database-wide).
type notifier struct {
	pool    *Store
	channel string
	origin  string
}

// Send publishes a change to the other replicas.
func (n *notifier) Send(ctx context.Context, c changes.Change) error {
	payload, err := json.Marshal(notifyMessage{Origin: n.origin, Change: c})
	if err != nil {
		return err
	}
	_, err = n.pool.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, n.channel, string(payload))
	return err
}

// Listen delivers the other replicas' changes until ctx ends. It holds one
// pool connection; when the connection breaks it reconnects with backoff,
// and after every (re)connection it delivers a change with an empty
// WorkspaceID: whatever was missed meanwhile, caches must reload.
func (n *notifier) Listen(ctx context.Context, deliver func(changes.Change)) error {
	wait := listenRetryMin
	first := true
	for ctx.Err() == nil {
		listened, _ := n.listen(ctx, deliver, !first) // a broken connection: reconnect
		if listened {
			first, wait = false, listenRetryMin
		}
		if ctx.Err() != nil {
			return nil
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

// listen runs one LISTEN session; listened reports whether it got as far
// as listening.
func (n *notifier) listen(ctx context.Context, deliver func(changes.Change), resync bool) (listened bool, err error) {
	pooled, err := n.pool.pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	// The connection stays in LISTEN state: it must not go back to the
	// pool for other queries.
	conn := pooled.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{n.channel}.Sanitize()); err != nil {
		return false, fmt.Errorf("listening for changes: %w", err)
	}
	if resync {
		deliver(changes.Change{})
	}
	for {
		note, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		var msg notifyMessage
		if json.Unmarshal([]byte(note.Payload), &msg) != nil || msg.Origin == n.origin {
			continue
		}
		deliver(msg.Change)
	}
}

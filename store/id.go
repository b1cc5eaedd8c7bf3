package store

import "github.com/google/uuid"

// NewID returns a new random, time-ordered identifier (UUIDv7). IDs sort by
// creation time, which list cursors rely on.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

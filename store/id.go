package store

import (
	"time"

	"github.com/google/uuid"
)

// NewID returns a new random, time-ordered identifier (UUIDv7). IDs sort by
// creation time, which list cursors rely on.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// NewIDAt returns a new UUIDv7 carrying t (to the millisecond). A run's ID
// is made with its CreatedAt, so that RunList can narrow a time range by ID.
func NewIDAt(t time.Time) string {
	id := uuid.Must(uuid.NewV7())
	putMillis(id[:], t)
	return id.String()
}

// IDFloor returns the smallest ID string that NewIDAt can make at t or
// later: every such ID compares >= it.
func IDFloor(t time.Time) string {
	var id uuid.UUID
	putMillis(id[:], t)
	return id.String()
}

// IDSlack is how far apart a run's ID time and CreatedAt may be; RunList
// widens ID bounds by it before applying the exact time filter.
const IDSlack = time.Second

func putMillis(b []byte, t time.Time) {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	for i := range 6 {
		b[i] = byte(uint64(ms) >> (40 - 8*i))
	}
}

// IDTime returns the time carried by a UUIDv7 ID.
func IDTime(id string) (time.Time, bool) {
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 {
		return time.Time{}, false
	}
	var b [8]byte
	copy(b[2:], u[:6])
	ms := int64(0)
	for _, c := range b {
		ms = ms<<8 | int64(c)
	}
	return time.UnixMilli(ms).UTC(), true
}

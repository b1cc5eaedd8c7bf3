package sqlite

import (
	"database/sql"
	"time"
)

// micros encodes t as microseconds since the Unix epoch.
func micros(t time.Time) int64 { return t.UnixMicro() }

// microsPtr encodes an optional time; nil is NULL.
func microsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros decodes microseconds since the Unix epoch as a UTC time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// fromMicrosPtr decodes an optional time.
func fromMicrosPtr(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}

// bytesArg encodes bytes as a BLOB; nil is NULL.
func bytesArg(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// boolInt encodes a bool as 0 or 1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

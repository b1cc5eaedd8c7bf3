// Package sqlite implements store.Store on SQLite, through the cgo-free
// modernc.org/sqlite driver. It is toolgate's embedded default: one file, WAL
// journaling, and a single writer connection so that concurrent writers queue
// in Go instead of failing with SQLITE_BUSY.
//
// Times are stored as INTEGER microseconds since the Unix epoch (UTC), so
// they sort correctly and keep microsecond precision; JSON documents are
// stored as TEXT, byte for byte, and a nil json.RawMessage is NULL.
package sqlite

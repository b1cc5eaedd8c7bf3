// Package postgres implements store.Store on PostgreSQL through pgx
// (github.com/jackc/pgx/v5) and a pgxpool.Pool.
//
// The schema lives in the first schema of the connection's search_path, so
// several toolgate installations (or tests) can share a database, each with
// its own search_path. IDs are TEXT COLLATE "C" so that they sort byte-wise,
// as Go compares strings and as list cursors assume; JSON documents are TEXT
// so they round-trip byte for byte, and a nil json.RawMessage is NULL.
package postgres

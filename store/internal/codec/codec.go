// Package codec holds what both store drivers do the same way: scanning a
// result set row by row, and keeping JSON documents in TEXT columns (NULL
// when absent). What differs by database (times, booleans, bytes, error
// codes) stays in each driver.
package codec

import (
	"encoding/json"
	"fmt"
	"unsafe"

	"github.com/toolgate/toolgate/store"
)

// Scanner is one row of either driver: *sql.Row, *sql.Rows, pgx.Row or
// pgx.Rows.
type Scanner interface {
	Scan(dest ...any) error
}

// Rows is a result set of either driver: *sql.Rows or pgx.Rows.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// Collect scans every remaining row of rows with scan. The caller closes
// rows (the two drivers' Close methods differ).
func Collect[T any](rows Rows, scan func(Scanner) (*T, error)) ([]*T, error) {
	var items []*T
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, rows.Err()
}

// RawArg encodes a JSON document as TEXT; nil or empty is NULL. The text
// shares raw's bytes rather than copying them (a run's response can be
// 64 KiB): both drivers copy an argument while the statement runs, and
// raw must not change meanwhile, which it cannot without a data race.
func RawArg(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return unsafe.String(&raw[0], len(raw))
}

// JSONText encodes v as JSON TEXT.
func JSONText(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// DecodeJSON decodes a nullable JSON TEXT column, scanned as bytes, into
// dst; NULL (nil) leaves dst alone. column names the column in the error.
func DecodeJSON(column string, raw []byte, dst any) error {
	if raw == nil {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("decoding %s: %w", column, err)
	}
	return nil
}

// AgentToolsArg encodes an agent's tools as JSON TEXT; a nil slice is NULL.
func AgentToolsArg(tools []store.AgentTool) (any, error) {
	if tools == nil {
		return nil, nil
	}
	return JSONText(tools)
}

// HeadersArg encodes a connection's headers as JSON TEXT; a nil map is NULL.
func HeadersArg(headers map[string]string) (any, error) {
	if headers == nil {
		return nil, nil
	}
	return JSONText(headers)
}

package codec_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/internal/codec"
)

func TestArgs(t *testing.T) {
	tests := []struct {
		name string
		got  func() (any, error)
		want any
	}{
		{"raw nil", func() (any, error) { return codec.RawArg(nil), nil }, nil},
		{"raw empty", func() (any, error) { return codec.RawArg(json.RawMessage{}), nil }, nil},
		{"raw document", func() (any, error) { return codec.RawArg(json.RawMessage(`{"a":1}`)), nil }, `{"a":1}`},
		{"json text", func() (any, error) { return codec.JSONText([]int{1, 2}) }, `[1,2]`},
		{"agent tools nil", func() (any, error) { return codec.AgentToolsArg(nil) }, nil},
		{"agent tools empty", func() (any, error) { return codec.AgentToolsArg([]store.AgentTool{}) }, `[]`},
		{"agent tools", func() (any, error) { return codec.AgentToolsArg([]store.AgentTool{{Name: "search", Version: 2}}) },
			`[{"name":"search","version":2}]`},
		{"headers nil", func() (any, error) { return codec.HeadersArg(nil) }, nil},
		{"headers", func() (any, error) { return codec.HeadersArg(map[string]string{"X-A": "1"}) }, `{"X-A":"1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	if _, err := codec.JSONText(func() {}); err == nil {
		t.Errorf("JSONText(func): got nil error, want an error")
	}
}

func TestDecodeJSON(t *testing.T) {
	dst := map[string]int{"kept": 1}
	if err := codec.DecodeJSON("headers", nil, &dst); err != nil {
		t.Fatalf("DecodeJSON(NULL): %v", err)
	}
	if diff := cmp.Diff(map[string]int{"kept": 1}, dst); diff != "" {
		t.Errorf("DecodeJSON(NULL) changed dst (-want +got):\n%s", diff)
	}
	dst = nil
	if err := codec.DecodeJSON("headers", []byte(`{"a":2}`), &dst); err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	if diff := cmp.Diff(map[string]int{"a": 2}, dst); diff != "" {
		t.Errorf("DecodeJSON mismatch (-want +got):\n%s", diff)
	}
	err := codec.DecodeJSON("headers", []byte(`{`), &dst)
	if err == nil || !strings.HasPrefix(err.Error(), "decoding headers: ") {
		t.Errorf("DecodeJSON(invalid): got %v, want an error naming the column", err)
	}
}

func TestCollect(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	query := func(t *testing.T) *sql.Rows {
		t.Helper()
		rows, err := db.QueryContext(t.Context(), `SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rows.Close() })
		return rows
	}
	scanInt := func(row codec.Scanner) (*int, error) {
		var n int
		return &n, row.Scan(&n)
	}

	got, err := codec.Collect(query(t), scanInt)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	var values []int
	for _, n := range got {
		values = append(values, *n)
	}
	if diff := cmp.Diff([]int{1, 2, 3}, values); diff != "" {
		t.Errorf("Collect mismatch (-want +got):\n%s", diff)
	}

	errScan := errors.New("scan failed")
	_, err = codec.Collect(query(t), func(row codec.Scanner) (*int, error) {
		n, err := scanInt(row)
		if err == nil && *n == 2 {
			err = errScan
		}
		return n, err
	})
	if !errors.Is(err, errScan) {
		t.Errorf("Collect with a failing scan: got %v, want %v", err, errScan)
	}
}

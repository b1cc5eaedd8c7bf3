package gateway

import (
	"encoding/base64"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/store"
)

// listResponse is the shape of every list: items and the cursor of the next
// page ("" when this page is the last).
type listResponse[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// listParams reads limit and cursor from the query string.
func listParams(c *gin.Context) (store.ListParams, error) {
	var p store.ListParams
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.ListLimitMax {
			return p, badRequest("limit must be an integer from 1 to 500", map[string]string{"field": "limit"})
		}
		p.Limit = n
	}
	if v := c.Query("cursor"); v != "" {
		id, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(id) == 0 {
			return p, badRequest("cursor is not one this API returned", map[string]string{"field": "cursor"})
		}
		p.Cursor = string(id)
	}
	return p, nil
}

// page builds a list response from rows, mapping each with view. A full
// page carries a cursor to the next.
func page[R any, T any](rows []R, p store.ListParams, id func(R) string, view func(R) T) listResponse[T] {
	out := listResponse[T]{Items: make([]T, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, view(r))
	}
	if len(rows) > 0 && len(rows) == p.EffectiveLimit() {
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(id(rows[len(rows)-1])))
	}
	return out
}

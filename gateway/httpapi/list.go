package httpapi

import (
	"encoding/base64"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
)

// List is the shape of every list: items and the cursor of the next page
// ("" when this page is the last).
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// ListParams reads limit and cursor from the query string.
func ListParams(c *gin.Context) (store.ListParams, error) {
	var p store.ListParams
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.ListLimitMax {
			return p, problem.BadRequestf("limit", "limit must be an integer from 1 to 500")
		}
		p.Limit = n
	}
	if v := c.Query("cursor"); v != "" {
		id, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(id) == 0 {
			return p, problem.BadRequestf("cursor", "cursor is not one this API returned")
		}
		p.Cursor = string(id)
	}
	return p, nil
}

// Cursor encodes the ID a next page continues after.
func Cursor(id string) string {
	if id == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

// ListOf is a page of the admin service as the API's list.
func ListOf[T any](p *admin.Page[T]) List[T] {
	return List[T]{Items: p.Items, NextCursor: Cursor(p.Next)}
}

// ListRows builds a list from rows, mapping each with view. A full page
// carries a cursor to the next.
func ListRows[R any, T any](rows []R, p store.ListParams, id func(R) string, view func(R) T) List[T] {
	out := List[T]{Items: make([]T, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, view(r))
	}
	if len(rows) > 0 && len(rows) == p.EffectiveLimit() {
		out.NextCursor = Cursor(id(rows[len(rows)-1]))
	}
	return out
}

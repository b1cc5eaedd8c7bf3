package admin

import (
	"errors"

	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
)

// Page is one page of a list: its items and, when the page is full, the ID
// of its last item to continue after ("" on the last page).
type Page[T any] struct {
	Items []T
	Next  string
}

// pageOf builds a page from rows, mapping each with view.
func pageOf[R any, T any](rows []R, p store.ListParams, id func(R) string, view func(R) (T, error)) (*Page[T], error) {
	out := &Page[T]{Items: make([]T, 0, len(rows))}
	for _, r := range rows {
		v, err := view(r)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, v)
	}
	if len(rows) > 0 && len(rows) == p.EffectiveLimit() {
		out.Next = id(rows[len(rows)-1])
	}
	return out, nil
}

// notFoundAs names the missing object of a store.ErrNotFound.
func notFoundAs(err error, what string) error {
	if errors.Is(err, store.ErrNotFound) {
		return problem.NotFoundf(what)
	}
	return err
}

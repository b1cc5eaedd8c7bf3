package store_test

import (
	"errors"
	"testing"

	"github.com/toolgate/toolgate/store"
)

func TestCheckMigrations(t *testing.T) {
	tests := []struct {
		name    string
		want    []int
		applied []int
		pending bool
	}{
		{"all applied", []int{1, 2, 3}, []int{1, 2, 3}, false},
		{"newer applied by another replica", []int{1, 2}, []int{1, 2, 3}, false},
		{"last missing", []int{1, 2, 3}, []int{1, 2}, true},
		{"gap", []int{1, 2, 3}, []int{1, 3}, true},
		{"none applied", []int{1}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			applied := map[int]bool{}
			for _, v := range tt.applied {
				applied[v] = true
			}
			err := store.CheckMigrations(tt.want, applied)
			if got := errors.Is(err, store.ErrMigrationsPending); got != tt.pending {
				t.Errorf("CheckMigrations(%v, %v) = %v, want pending %v", tt.want, tt.applied, err, tt.pending)
			}
		})
	}
}

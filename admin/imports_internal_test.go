package admin

import (
	"testing"

	"github.com/toolgate/toolgate/problem"
)

// TestImportsBounded checks that an import beyond ImportsConcurrentMax is
// refused at once, and that a slot frees when an import ends.
func TestImportsBounded(t *testing.T) {
	s := &Imports{d: &deps{}, running: make(chan struct{}, ImportsConcurrentMax)}
	for range ImportsConcurrentMax {
		s.running <- struct{}{} // imports in progress
	}
	_, err := s.OpenAPI(t.Context(), "ws", &ImportOpenAPIRequest{})
	if !problem.Is(err, problem.TooManyRequests) {
		t.Fatalf("an import over the bound: %v, want TooManyRequests", err)
	}
	<-s.running // one ends
	_, err = s.OpenAPI(t.Context(), "ws", &ImportOpenAPIRequest{})
	if !problem.Is(err, problem.Invalid) { // no document: refused after taking the free slot
		t.Fatalf("an import with a free slot: %v, want Invalid (no document)", err)
	}
	if len(s.running) != ImportsConcurrentMax-1 {
		t.Errorf("%d slots taken after the import ended, want %d", len(s.running), ImportsConcurrentMax-1)
	}
}

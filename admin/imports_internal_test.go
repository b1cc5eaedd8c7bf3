package admin

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/toolgate/toolgate/egress"
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

// TestImportFetchErrorHidesURL: an import whose URL cannot be fetched
// fails with an error that does not repeat the URL, whose query may carry
// a token (5xx errors are logged with their cause).
func TestImportFetchErrorHidesURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: the fetch is refused
	client := egress.New(egress.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	defer client.CloseIdleConnections()
	s := &Imports{d: &deps{egress: client}}
	const token = "tok-9f3a7c2e1d"
	_, err = s.fetch(t.Context(), "http://"+addr+"/openapi.json?access_token="+token)
	if !problem.Is(err, problem.BadGateway) {
		t.Fatalf("fetching from a closed port: %v, want BadGateway", err)
	}
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), token) {
			t.Fatalf("the error repeats the URL: %q", e.Error())
		}
	}
}

//go:build race

package main

import "testing"

// skipUnderRace skips a test that imports or applies a large real document
// (GitHub's REST description: no concurrency to check beyond what the
// small tests cover) and takes minutes under the race detector; CI runs it
// in its pass without -race.
func skipUnderRace(t *testing.T) {
	t.Helper()
	t.Skip("imports a large document: runs without -race (CI's second pass)")
}

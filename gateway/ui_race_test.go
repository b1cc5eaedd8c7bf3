//go:build race

package gateway_test

import "testing"

// raceEnabled reports whether the race detector is on. It slows the
// pure-Go SQLite driver tens of times, so timing budgets are not measured
// under it.
const raceEnabled = true

// skipUnderRace skips a test that only converts large documents (no
// concurrency to check) and takes minutes under the race detector; CI runs
// it in its pass without -race.
func skipUnderRace(t *testing.T) {
	t.Helper()
	t.Skip("converts large documents: runs without -race (CI's second pass)")
}

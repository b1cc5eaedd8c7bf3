//go:build race

package gateway_test

// raceEnabled reports whether the race detector is on. It slows the
// pure-Go SQLite driver tens of times, so timing budgets are not measured
// under it.
const raceEnabled = true

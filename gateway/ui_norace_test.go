//go:build !race

package gateway_test

import "testing"

// raceEnabled reports whether the race detector is on.
const raceEnabled = false

// skipUnderRace runs the test: the race detector is off.
func skipUnderRace(*testing.T) {}

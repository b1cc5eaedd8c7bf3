//go:build !race

package main

import "testing"

// skipUnderRace runs the test: the race detector is off.
func skipUnderRace(*testing.T) {}

//go:build !race

package openapi_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false

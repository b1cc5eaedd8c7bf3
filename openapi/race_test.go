//go:build race

package openapi_test

// raceEnabled reports whether the race detector is on. It slows decoding
// several times, so the time budget is not measured under it.
const raceEnabled = true

//go:build race

package resp

// raceEnabled shrinks the timing tests under the race detector, which slows
// them ten-fold.
const raceEnabled = true

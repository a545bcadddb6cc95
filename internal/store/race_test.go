//go:build race

package store

// raceEnabled shrinks the heaviest tests under the race detector, which slows
// them ten-fold.
const raceEnabled = true

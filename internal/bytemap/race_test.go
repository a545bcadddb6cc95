//go:build race

package bytemap

const raceEnabled = true

//go:build !race

package bytemap

const raceEnabled = false

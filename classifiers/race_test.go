//go:build race

package classifiers

// raceEnabled reports whether the race detector is on: it multiplies the
// memory and time a test takes.
const raceEnabled = true

//go:build !race

package classifiers

const raceEnabled = false

//go:build !race

package report_test

// raceDetector is true when the tests run under the race detector, which
// slows the pure-Go SQLite driver by an order of magnitude.
const raceDetector = false

//go:build race

package spreadsheet

// raceEnabled: the tests run under the race detector.
const raceEnabled = true

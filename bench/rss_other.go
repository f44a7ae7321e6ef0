//go:build !linux

package bench

// RSS is 0 where /proc is not available.
func RSS() int64 { return 0 }

// PeakRSS is 0 where /proc is not available.
func PeakRSS() int64 { return 0 }

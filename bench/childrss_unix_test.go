//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
)

// childMaxRSS is the peak resident set of a finished child, in bytes,
// from getrusage; 0 when unknown.
func childMaxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) // bytes on macOS
	}
	return int64(ru.Maxrss) << 10 // kilobytes on Linux and the BSDs
}

//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// procStatus returns a field of /proc/self/status given in kB (VmRSS,
// VmHWM), in bytes, or 0.
func procStatus(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	prefix := []byte(field + ":")
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		f := bytes.Fields(line[len(prefix):])
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// RSS is the resident set size of the process now, in bytes.
func RSS() int64 { return procStatus("VmRSS") }

// PeakRSS is the largest resident set size of the process so far
// (VmHWM), in bytes.
func PeakRSS() int64 { return procStatus("VmHWM") }

package storage

import (
	"fmt"
	"sync/atomic"
	"testing"
)

func TestInParallel(t *testing.T) {
	for _, n := range []int{0, 1, parallelMin - 1, parallelMin, 1000, 1001} {
		var seen [1001]atomic.Int32
		err := inParallel(n, func(lo, hi int) error {
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if seen[i].Load() != 1 {
				t.Fatalf("n=%d: item %d done %d times", n, i, seen[i].Load())
			}
		}
	}
	// Every part fails: the error is the first part's, whichever part
	// finished first.
	err := inParallel(1000, func(lo, hi int) error { return fmt.Errorf("part at %d", lo) })
	if err == nil || err.Error() != "part at 0" {
		t.Fatalf("got %v, want the first part's error", err)
	}
}

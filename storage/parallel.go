package storage

import (
	"runtime"
	"sync"
)

// parallelMin is the smallest number of items that is split among
// goroutines: below it, starting them costs more than it saves.
const parallelMin = 64

// inParallel calls fn on consecutive parts [lo, hi) of n items, on up to
// GOMAXPROCS goroutines when n is at least parallelMin, and returns the
// error of the first part that failed.
func inParallel(n int, fn func(lo, hi int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n/(parallelMin/2))
	if n < parallelMin || workers < 2 {
		return fn(0, n)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = fn(lo, hi)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

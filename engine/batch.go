package engine

import (
	"context"
	"runtime"
	"sync"

	"jixiao"
)

// chunkSize is how many projects a worker takes at a time: large enough to
// keep coordination cheap, small enough to balance the cores.
const chunkSize = 256

// Batch configures ScoreEach.
type Batch struct {
	Workers    int  // goroutines; 0 means one per core
	ScoresOnly bool // skip reasons and messages (see Scorer.ScoresOnly)
}

// ScoreEach scores projects concurrently. results[i] or rejected[i] holds
// the outcome of projects[i]. It stops early when ctx is cancelled and
// returns ctx's error.
func (rs *RuleSet) ScoreEach(ctx context.Context, projects []jixiao.Project, opt Batch) (results []jixiao.Result, rejected []*jixiao.Rejection, err error) {
	workers := opt.Workers
	newScorer := func() *Scorer {
		if opt.ScoresOnly {
			return rs.NewScorer().ScoresOnly()
		}
		return rs.NewScorer()
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results = make([]jixiao.Result, len(projects))
	rejected = make([]*jixiao.Rejection, len(projects))
	if len(projects) <= chunkSize || workers == 1 {
		sc := newScorer()
		for i := range projects {
			if i%chunkSize == 0 && ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			results[i], rejected[i] = sc.Score(&projects[i])
		}
		return results, rejected, nil
	}
	chunks := make(chan int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := newScorer()
			for start := range chunks {
				end := min(start+chunkSize, len(projects))
				for i := start; i < end; i++ {
					results[i], rejected[i] = sc.Score(&projects[i])
				}
			}
		}()
	}
feed:
	for start := 0; start < len(projects); start += chunkSize {
		select {
		case chunks <- start:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(chunks)
	wg.Wait()
	if err != nil {
		return nil, nil, err
	}
	return results, rejected, nil
}

// ScoreAll scores projects concurrently and returns the results and the
// rejections, each in input order.
func (rs *RuleSet) ScoreAll(ctx context.Context, projects []jixiao.Project, workers int) (jixiao.Outcome, error) {
	results, rejected, err := rs.ScoreEach(ctx, projects, Batch{Workers: workers})
	if err != nil {
		return jixiao.Outcome{}, err
	}
	out := jixiao.Outcome{Results: make([]jixiao.Result, 0, len(projects)), Rejected: []jixiao.Rejection{}}
	for i := range projects {
		if rejected[i] != nil {
			out.Rejected = append(out.Rejected, *rejected[i])
		} else {
			out.Results = append(out.Results, results[i])
		}
	}
	return out, nil
}

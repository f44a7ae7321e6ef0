package engine

import (
	"context"
	"testing"

	"jixiao"
)

// Sinks keep every result alive so that nothing is optimized away.
var (
	benchResult  jixiao.Result
	benchReject  *jixiao.Rejection
	benchHand    handResult
	benchOutcome jixiao.Outcome
)

const (
	benchLeaves   = 8
	benchProjects = 1024 // a power of two, cycled through
)

// benchProjectList returns count generated projects with eight indicators
// each, all of which the rule set scores: the generated projects it
// refuses (no 产出指标, under min_applicable) are left out.
func benchProjectList(b *testing.B, rs *RuleSet, count int) []jixiao.Project {
	b.Helper()
	projects := genProjectList(42, 2*count, benchLeaves)
	sc := rs.NewScorer()
	out := projects[:0]
	for i := range projects {
		if _, rej := sc.Score(&projects[i]); rej == nil {
			out = append(out, projects[i])
		}
		if len(out) == count {
			return out
		}
	}
	b.Fatalf("only %d of %d generated projects are scored", len(out), 2*count)
	return nil
}

// BenchmarkScore scores one project per operation with a single Scorer,
// through the engine and by hand.
func BenchmarkScore(b *testing.B) {
	rs := handLoadMOF(b)
	projects := benchProjectList(b, rs, benchProjects)

	b.Run("engine", func(b *testing.B) {
		sc := rs.NewScorer()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			benchResult, benchReject = sc.Score(&projects[i&(benchProjects-1)])
			i++
		}
	})
	b.Run("engine-scores-only", func(b *testing.B) {
		// without reasons and messages, as what-if and goal seeking use it
		sc := rs.NewScorer().ScoresOnly()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			benchResult, benchReject = sc.Score(&projects[i&(benchProjects-1)])
			i++
		}
	})
	b.Run("handwritten", func(b *testing.B) {
		var h handScorer
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			benchHand = h.score(&projects[i&(benchProjects-1)])
			i++
		}
	})
}

// BenchmarkScoreAll100k scores 100,000 projects per operation on all cores.
func BenchmarkScoreAll100k(b *testing.B) {
	const count = 100_000
	rs := handLoadMOF(b)
	projects := benchProjectList(b, rs, count)
	ctx := context.Background()
	b.ReportAllocs()
	ops := 0
	for b.Loop() {
		out, err := rs.ScoreAll(ctx, projects, 0)
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Results) != count {
			b.Fatalf("%d results, want %d", len(out.Results), count)
		}
		benchOutcome = out
		ops++
	}
	b.ReportMetric(float64(count*ops)/b.Elapsed().Seconds(), "projects/s")
}

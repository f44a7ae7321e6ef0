package evaluation_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"jixiao"
	"jixiao/engine"
	"jixiao/evaluation"
	"jixiao/rules"
	"jixiao/storage"
	"jixiao/storage/storagetest"
)

// forEachStore runs fn once per kind of database: an SQLite file, and
// PostgreSQL when the test server is there (see storagetest).
func forEachStore(t *testing.T, fn func(t *testing.T, setup func(n int) (*storage.DB, *engine.RuleSet))) {
	t.Helper()
	kinds := []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "eval.db") }},
		{"postgres", func(t *testing.T) string { return storagetest.PostgresURL(t) }},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			fn(t, func(n int) (*storage.DB, *engine.RuleSet) { return setup(t, k.db(t), n) })
		})
	}
}

// setup stores n projects of 2024 in the database db and returns the
// store and the rule set to score them with.
func setup(t *testing.T, db string, n int) (*storage.DB, *engine.RuleSet) {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"P%03d","name":"项目%d","year":2024,"budget_adjusted":1000,"spent":%d,"indicators":[`+
			`{"level1":"产出指标","level2":"数量指标","name":"数量","direction":">=","target":10,"actual":%d}]}`, i, i, 900+i, i%11)
	}
	b.WriteString("]")
	in, err := jixiao.DecodeProjectsBytes([]byte(b.String()))
	if err != nil || len(in.Rejected) > 0 {
		t.Fatalf("decoding the projects: %v %v", err, in.Rejected)
	}
	if _, err := store.UpsertProjects(ctx, in.Projects); err != nil {
		t.Fatal(err)
	}
	src, ok := rules.BuiltinByID("cn-mof-2020-self")
	if !ok {
		t.Fatal("no built-in cn-mof-2020-self")
	}
	rs, err := engine.Load(src.Path, src.Data)
	if err != nil {
		t.Fatal(err)
	}
	return store, rs
}

// TestExecuteStopsAtChunkBoundary cancels a run after its first chunk is
// stored: the run stops with whole chunks stored (those already scored
// when the cancel came are saved too), and executing it again scores the
// rest without scoring anything twice.
func TestExecuteStopsAtChunkBoundary(t *testing.T) {
	forEachStore(t, func(t *testing.T, setup func(n int) (*storage.DB, *engine.RuleSet)) {
		store, rs := setup(25)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		svc := &evaluation.Service{Store: store, ChunkSize: 10, OnScored: func(int) { cancel() }}
		run, err := svc.Start(ctx, rs, evaluation.Selection{Year: 2024}, "test")
		if err != nil {
			t.Fatal(err)
		}
		execErr := svc.Execute(ctx, run, rs)
		stored, err := store.FindRun(context.Background(), run.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case stored.Scored == 25 && stored.Status == jixiao.RunDone && execErr == nil:
			// every chunk was scored before the cancel and so saved
		case stored.Scored < 25 && stored.Scored%10 == 0 && stored.Status == jixiao.RunInterrupted && execErr != nil:
		default:
			t.Fatalf("after the cancel: %s with %d scored (error %v), want whole chunks", stored.Status, stored.Scored, execErr)
		}

		bg := context.Background()
		if stored.Status == jixiao.RunInterrupted {
			if err := store.ReopenRun(bg, run.ID); err != nil {
				t.Fatal(err)
			}
		}
		svc.OnScored = nil
		if err := svc.Execute(bg, stored, rs); err != nil {
			t.Fatal(err)
		}
		stored, err = store.FindRun(bg, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Status != jixiao.RunDone || stored.Scored != 25 {
			t.Fatalf("resumed: %s with %d scored, want done with 25", stored.Status, stored.Scored)
		}
		if _, n, err := store.FindScores(bg, jixiao.ScoreFilter{RuleSetID: rs.Ref().ID}); err != nil || n != 25 {
			t.Fatalf("%d scores stored (%v), want 25", n, err)
		}
	})
}

// TestExecuteCancelledAfterLastChunk cancels a run once its last chunk is
// stored: nothing is left to do, so the run is done, not interrupted. With
// one thread (GOMAXPROCS 1, as in a container limited to one CPU) the
// reader stops on the cancel before it looks for another chunk; with more
// it usually finds none first. Both must end done.
func TestExecuteCancelledAfterLastChunk(t *testing.T) {
	for _, procs := range []int{1, runtime.GOMAXPROCS(0)} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			forEachStore(t, func(t *testing.T, setup func(n int) (*storage.DB, *engine.RuleSet)) {
				store, rs := setup(20)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				scored := 0
				svc := &evaluation.Service{Store: store, ChunkSize: 10, OnScored: func(n int) {
					if scored += n; scored == 20 {
						cancel()
					}
				}}
				run, err := svc.Start(ctx, rs, evaluation.Selection{Year: 2024}, "test")
				if err != nil {
					t.Fatal(err)
				}
				if err := svc.Execute(ctx, run, rs); err != nil {
					t.Errorf("Execute: %v", err)
				}
				stored, err := store.FindRun(context.Background(), run.ID)
				if err != nil {
					t.Fatal(err)
				}
				if stored.Status != jixiao.RunDone || stored.Scored != 20 {
					t.Errorf("run: %s with %d scored, want done with 20", stored.Status, stored.Scored)
				}
			})
		})
	}
}

// TestExecuteCancelledBeforeStart executes a run with a context already
// cancelled, as a job started during a shutdown does: the run is
// interrupted, not failed, and nothing is scored.
func TestExecuteCancelledBeforeStart(t *testing.T) {
	forEachStore(t, func(t *testing.T, setup func(n int) (*storage.DB, *engine.RuleSet)) {
		store, rs := setup(5)
		svc := &evaluation.Service{Store: store, ChunkSize: 10}
		run, err := svc.Start(context.Background(), rs, evaluation.Selection{Year: 2024}, "test")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := svc.Execute(ctx, run, rs); err == nil {
			t.Error("Execute with a cancelled context returned no error")
		}
		stored, err := store.FindRun(context.Background(), run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Status != jixiao.RunInterrupted || stored.Scored != 0 {
			t.Errorf("run: %s with %d scored, want interrupted with 0", stored.Status, stored.Scored)
		}
	})
}

// TestRunExcludesLaterProjects: projects stored after a run starts are not
// part of it, even when it runs (or is resumed) later, so scored never
// exceeds total.
func TestRunExcludesLaterProjects(t *testing.T) {
	forEachStore(t, func(t *testing.T, setup func(n int) (*storage.DB, *engine.RuleSet)) {
		store, rs := setup(12)
		ctx := context.Background()
		svc := &evaluation.Service{Store: store, ChunkSize: 5}
		run, err := svc.Start(ctx, rs, evaluation.Selection{Year: 2024}, "test")
		if err != nil {
			t.Fatal(err)
		}
		late := jixiao.Project{ID: "LATE", Name: "后来的项目", Year: 2024, BudgetAdjusted: jixiao.Points(1), Spent: jixiao.Points(1),
			Indicators: []jixiao.Indicator{{Level1: "产出指标", Level2: "数量指标", Name: "数量", Direction: jixiao.Qualitative, Rating: jixiao.Achieved}}}
		if _, err := store.UpsertProjects(ctx, []jixiao.Project{late}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Execute(ctx, run, rs); err != nil {
			t.Fatal(err)
		}
		got, err := store.FindRun(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != 12 || got.Scored != 12 {
			t.Fatalf("run total %d, scored %d; want 12 and 12", got.Total, got.Scored)
		}
		if _, n, err := store.FindScores(ctx, jixiao.ScoreFilter{ProjectID: "LATE"}); err != nil || n != 0 {
			t.Fatalf("the later project was scored (%d scores, %v)", n, err)
		}
	})
}

// Two services with the database in common execute one run at once: they
// share its chunks, and the run ends done with one score per project. A
// shared service that is stopped leaves the run running, with its chunks
// released for the other.
func TestExecuteShared(t *testing.T) {
	forEachStore(t, func(t *testing.T, setup func(n int) (*storage.DB, *engine.RuleSet)) {
		store, rs := setup(95)
		bg := context.Background()
		var mu sync.Mutex
		scoredBy := map[string]int{}
		service := func(owner string) *evaluation.Service {
			return &evaluation.Service{Store: store, ChunkSize: 10, Owner: owner, Shared: true, OnScored: func(n int) {
				mu.Lock()
				scoredBy[owner] += n
				mu.Unlock()
			}}
		}
		a, b := service("a"), service("b")

		// a stops after its first chunk: the run stays running.
		ctx, cancel := context.WithCancel(bg)
		a.OnScored = func(n int) { cancel() }
		run, err := a.Start(bg, rs, evaluation.Selection{Year: 2024}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Execute(ctx, run, rs); err == nil {
			t.Fatal("a stopped service reports no error")
		}
		stored, err := store.FindRun(bg, run.ID)
		if err != nil || stored.Status != jixiao.RunRunning || stored.Scored == 0 || stored.Scored == 95 {
			t.Fatalf("after a stopped: %+v, %v; want running with some chunks scored", stored, err)
		}

		// Both together finish it.
		a = service("a")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, svc := range []*evaluation.Service{a, b} {
			wg.Add(1)
			own := *stored // as each process reads the run for itself
			go func() { defer wg.Done(); errs[i] = svc.Execute(bg, &own, rs) }()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		stored, err = store.FindRun(bg, run.ID)
		if err != nil || stored.Status != jixiao.RunDone || stored.Scored != 95 {
			t.Fatalf("after both: %+v, %v; want done with 95 scored", stored, err)
		}
		if _, n, err := store.FindScores(bg, jixiao.ScoreFilter{RunID: run.ID}); err != nil || n != 95 {
			t.Fatalf("the run links %d scores (%v), want 95", n, err)
		}
		t.Logf("projects scored by service: %v", scoredBy)
	})
}

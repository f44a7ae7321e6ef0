package bench

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"jixiao"
	"jixiao/engine"
	"jixiao/evaluation"
	"jixiao/storage"
	"jixiao/storage/storagetest"
)

// TestGen checks that generated projects are what the measurements
// claim: deterministic, 3–12 indicators over the three groups, valid
// input for the API, and all scored by cn-mof-2020-self.
func TestGen(t *testing.T) {
	const n = 3000
	ps := Projects(7, 1, n)
	if again := Projects(7, 1, n); !reflect.DeepEqual(ps, again) {
		t.Fatal("the same seed gave different projects")
	}
	rs, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	out, err := rs.ScoreAll(context.Background(), ps, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Rejected {
		t.Errorf("%s rejected: %s", r.ProjectID, strings.Join(r.Errors, "; "))
	}

	ids := map[string]bool{}
	var weighted, noSatisfaction, qualitative, findings int
	grades := map[string]int{}
	for i := range ps {
		p := &ps[i]
		if ids[p.ID] {
			t.Fatalf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
		if k := len(p.Indicators); k < 3 || k > 12 {
			t.Fatalf("%s has %d indicators", p.ID, k)
		}
		seen := map[string]bool{}
		for _, ind := range p.Indicators {
			seen[ind.Level1] = true
			if ind.Weight != nil {
				weighted++
			}
			if ind.Direction == jixiao.Qualitative {
				qualitative++
			}
		}
		if !seen["产出指标"] {
			t.Fatalf("%s has no 产出 indicator", p.ID)
		}
		if !seen["满意度指标"] {
			noSatisfaction++
		}
	}
	for _, r := range out.Results {
		grades[r.Grade]++
		findings += len(r.Findings)
	}
	if weighted == 0 || noSatisfaction == 0 || qualitative == 0 || findings == 0 || len(grades) < 3 {
		t.Errorf("not varied enough: %d weighted indicators, %d projects without 满意度, %d qualitative, %d findings, grades %v",
			weighted, noSatisfaction, qualitative, findings, grades)
	}

	// What the API decodes is what was generated.
	doc, err := json.Marshal(ps[:200])
	if err != nil {
		t.Fatal(err)
	}
	in, err := jixiao.DecodeProjectsBytes(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Rejected) > 0 {
		t.Fatalf("decoding rejected %s: %v", in.Rejected[0].ProjectID, in.Rejected[0].Errors)
	}
	if !reflect.DeepEqual(in.Projects, ps[:200]) {
		t.Error("projects changed through JSON")
	}
}

// TestBatchHarness runs the batch measurement on a tiny database, on
// SQLite and on PostgreSQL: the service run stores a score per project,
// each plain insert stores the same rows, and they agree.
func TestBatchHarness(t *testing.T) {
	const n = 2500 // three chunks, the last one short
	ctx := context.Background()
	rs, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		tmpl := filepath.Join(dir, "template.db")
		if err := Seed(ctx, tmpl, n, 3); err != nil {
			t.Fatal(err)
		}
		svc, plain := filepath.Join(dir, "service.db"), filepath.Join(dir, "plain.db")
		for _, p := range []string{svc, plain} {
			if err := CopyFile(tmpl, p); err != nil {
				t.Fatal(err)
			}
		}
		rows := harnessService(t, svc, rs, n, false)
		if _, err := PlainInsert(ctx, plain, rows); err != nil {
			t.Fatal(err)
		}
		// The plain insert made the only run of its copy, run 1.
		harnessSame(t, plain, 1, rows)
	})
	t.Run("postgres", func(t *testing.T) {
		db := storagetest.PostgresURL(t)
		if err := Seed(ctx, db, n, 3); err != nil {
			t.Fatal(err)
		}
		rows := harnessService(t, db, rs, n, true)
		for _, useCopy := range []bool{false, true} {
			if err := ClearRuns(ctx, db); err != nil {
				t.Fatal(err)
			}
			if _, err := PlainPostgres(ctx, db, rows, useCopy); err != nil {
				t.Fatalf("copy %v: %v", useCopy, err)
			}
			// Cleared with its identities: the plain run is run 1.
			harnessSame(t, db, 1, rows)
		}
	})
}

// harnessService runs the measured official batch over the n projects of
// db and returns its score rows, checked.
func harnessService(t *testing.T, db string, rs *engine.RuleSet, n int, shared bool) []ScoreRow {
	t.Helper()
	ctx := context.Background()
	run, timing, err := Official(ctx, db, rs, evaluation.Service{Shared: shared}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Scored != n || run.Rejected != 0 || run.Status != jixiao.RunDone || timing.Wall <= 0 {
		t.Fatalf("run %s, scored %d, rejected %d in %v", run.Status, run.Scored, run.Rejected, timing.Wall)
	}
	rows, err := ReadScores(ctx, db, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("%d score rows, want %d", len(rows), n)
	}
	var res jixiao.Result
	if err := json.Unmarshal([]byte(rows[0].Result), &res); err != nil || res.ProjectID != rows[0].ProjectID {
		t.Fatalf("result of %s: %v, %+v", rows[0].ProjectID, err, res.ProjectID)
	}
	return rows
}

// harnessSame checks that run runID of db linked exactly rows.
func harnessSame(t *testing.T, db string, runID int64, rows []ScoreRow) {
	t.Helper()
	again, err := ReadScores(context.Background(), db, runID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, rows) {
		t.Errorf("the plain insert stored different rows (%d rows, want %d)", len(again), len(rows))
	}
}

// TestExecuteCancelled: a run cancelled after its second chunk is saved
// is interrupted at a chunk boundary and finished by a resumed Execute,
// with every project scored once.
func TestExecuteCancelled(t *testing.T) {
	const n = 3500
	ctx := context.Background()
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "template.db")
	if err := Seed(ctx, tmpl, n, 5); err != nil {
		t.Fatal(err)
	}
	rs, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	// Cancelled after the second chunk is saved.
	path := filepath.Join(dir, "c.db")
	if err := CopyFile(tmpl, path); err != nil {
		t.Fatal(err)
	}
	db, err := storage.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cctx, cancel := context.WithCancel(ctx)
	var saved atomic.Int32 // OnScored is called by both savers
	svc := &evaluation.Service{Store: db, ChunkSize: 500, OnScored: func(int) {
		if saved.Add(1) == 2 {
			cancel()
		}
	}}
	run, err := svc.Start(ctx, rs, Approved, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Execute(cctx, run, rs); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run returned %v", err)
	}
	if run.Status != jixiao.RunInterrupted || run.Scored%500 != 0 || run.Scored >= n {
		t.Fatalf("cancelled run %s with %d scored", run.Status, run.Scored)
	}
	if err := db.ReopenRun(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Execute(ctx, run, rs); err != nil {
		t.Fatal(err)
	}
	final, err := db.FindRun(ctx, run.ID)
	if err != nil || final.Scored != n || final.Status != jixiao.RunDone {
		t.Fatalf("resumed run: %+v, %v", final, err)
	}
}

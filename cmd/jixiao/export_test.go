package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"jixiao"
	"jixiao/api"
	"jixiao/demo"
	"jixiao/evaluation"
	"jixiao/registry"
	"jixiao/storage"
)

// TestExportReviewedForm: "jixiao export form" of a project the bureau
// approved with a deduction shows the self-score and the reviewed score,
// as the API's form does: the submitted version scored by the stored
// rule-set version, and the official score of the approved one.
func TestExportReviewedForm(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "jixiao.db")
	store, err := storage.OpenSQLite(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, err := registry.New(registry.Options{PollInterval: -1, Logger: logger, OnActivate: api.RecordActivation(store, nil, logger)})
	if err != nil {
		t.Fatal(err)
	}
	p := demo.Huaihua()[0]
	if _, err := store.UpsertProjects(ctx, []jixiao.Project{p}); err != nil {
		t.Fatal(err)
	}
	state, err := store.Review(ctx, p.Year, p.ID, jixiao.Review{Action: jixiao.ReviewSubmit, Actor: "user:dept"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Review(ctx, p.Year, p.ID, jixiao.Review{Action: jixiao.ReviewApprove, InputHash: state.InputHash, Actor: "user:bureau",
		Deductions: []jixiao.Deduction{{Indicator: p.Indicators[0].Name, Points: jixiao.Points(2), Reason: "佐证材料不全"}}})
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := reg.Snapshot().Get("cn-mof-2020-self")
	evals := &evaluation.Service{Store: store, Logger: logger}
	run, err := evals.Start(ctx, rs, evaluation.Selection{Statuses: []string{jixiao.StatusApproved}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := evals.Execute(ctx, run, rs); err != nil {
		t.Fatal(err)
	}
	scores, _, err := store.FindScores(ctx, jixiao.ScoreFilter{RunID: run.ID})
	if err != nil || len(scores) != 1 {
		t.Fatalf("scores %v, %v", scores, err)
	}
	reviewed := scores[0].Total
	store.Close()

	out := filepath.Join(t.TempDir(), "form.xlsx")
	if _, errOut, code := jixiaoRun(t, "", "export", "form", "--db", db, "--year", "2024", "--id", p.ID, "-o", out); code != exitOK {
		t.Fatalf("export form: exit %d: %s", code, errOut)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("自评表")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	for _, r := range rows {
		if len(r) > 0 {
			found[r[0]] = r
		}
	}
	if r := found["复核总分"]; len(r) < 8 || r[7] != reviewed.String() {
		t.Errorf("复核总分 row %q, want %s", r, reviewed)
	}
	if r := found["自评总分"]; len(r) < 8 || r[7] != (reviewed+jixiao.Points(2)).String() {
		t.Errorf("自评总分 row %q, want %s (the reviewed score and the 2 points deducted)", r, reviewed+jixiao.Points(2))
	}
}
